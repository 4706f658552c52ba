/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by policy.c (parser) and policy_check.c (evaluator). */
#ifndef KINGLET_POLICY_INTERNAL_H
#define KINGLET_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

enum policy_kind {
        RULE_DEFAULT,       /* default allow|deny */
        RULE_RPC,           /* allow|deny rpc NAME */
        RULE_EXEC,          /* exec CONTAINER|* none|COMMAND... */
        RULE_COPYFILE,      /* copyfile PREFIX... */
        RULE_DEBUG_CONSOLE, /* debug_console allow|deny */
};

/* One line: its words as written (comments and extra blanks gone). */
struct policy_rule {
        enum policy_kind kind;
        unsigned line;
        bool allow; /* default, rpc, debug_console */
        char **word;
        size_t n_words;
        char *buf; /* the words, NUL-separated; word[] points in here */
};

struct policy {
        struct policy_rule *rules;
        size_t n_rules;
        /* Where the single-instance rules are, or NULL. */
        const struct policy_rule *default_rule;
        const struct policy_rule *debug_console_rule;
};

#endif
