/* SPDX-License-Identifier: Apache-2.0 */
/* kinglet.Containers/List: the containers and processes the agent tracks. */
#include <errno.h>
#include <stdlib.h>

#include "containers.h"
#include "kinglet.pb-c.h"
#include "rpc.h"

RPC_HANDLER(rpc_list_containers)
{
        struct agent *a = userdata;
        Kinglet__ListContainersResponse resp = KINGLET__LIST_CONTAINERS_RESPONSE__INIT;
        struct list_head *cpos, *ppos;
        size_t nc = 0, np = 0;
        (void)request;

        /* One allocation for the whole answer; it only points at the agent's own strings. */
        for (cpos = a->containers.next; cpos != &a->containers; cpos = cpos->next)
                np += list_entry(cpos, struct container, link)->n_processes;
        Kinglet__ContainerInfo *ci = calloc(a->n_containers + 1, sizeof *ci);
        Kinglet__ContainerInfo **cptrs = calloc(a->n_containers + 1, sizeof *cptrs);
        Kinglet__ProcessInfo *pi = calloc(np + 1, sizeof *pi);
        Kinglet__ProcessInfo **pptrs = calloc(np + 1, sizeof *pptrs);
        int r = -ENOMEM;
        if (!ci || !cptrs || !pi || !pptrs)
                goto out;
        np = 0;
        for (cpos = a->containers.next; cpos != &a->containers; cpos = cpos->next, nc++) {
                struct container *c = list_entry(cpos, struct container, link);
                kinglet__container_info__init(&ci[nc]);
                ci[nc].container_id = c->id;
                ci[nc].state = (char *)container_state_name(c->state);
                ci[nc].bundle = c->bundle;
                ci[nc].cgroup = c->cgroup ? c->cgroup->path : (char *)"";
                ci[nc].processes = &pptrs[np];
                for (ppos = c->processes.next; ppos != &c->processes; ppos = ppos->next) {
                        struct process *p = list_entry(ppos, struct process, link);
                        kinglet__process_info__init(&pi[np]);
                        pi[np].exec_id = p->exec_id;
                        pi[np].pid = p->pid;
                        pi[np].exited = p->exited;
                        pi[np].exit_status = p->exit_status;
                        pi[np].terminal = p->terminal;
                        pptrs[np] = &pi[np];
                        np++;
                        ci[nc].n_processes++;
                }
                cptrs[nc] = &ci[nc];
        }
        resp.containers = cptrs;
        resp.n_containers = nc;
        resp.sandbox_id = (char *)sandbox_id(a);
        r = ttrpc_call_reply(call, &resp.base);
out:
        free(ci);
        free(cptrs);
        free(pi);
        free(pptrs);
        return r;
}
