// SPDX-License-Identifier: Apache-2.0

// go-ttrpc-server: the peer kinglet's Check throughput is measured against.
//
// It serves "grpc.Health"/"Check" with containerd's own ttrpc server (the one
// containerd shims and the Go Kata agent era used), so the comparison is
// against the stock Go implementation rather than a tuned toy. The two
// messages are written by hand against the gogo proto.Message interface:
// gogo's proto.Marshal/Unmarshal pick up Marshal()/Unmarshal() methods, so no
// protoc or code generator is needed, and nothing has to be downloaded.
//
//	go-ttrpc-server -addr /path/to/socket
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/containerd/ttrpc"
)

// checkRequest is grpc.CheckRequest { string service = 1; }.
type checkRequest struct {
	Service string
}

func (m *checkRequest) Reset()         { *m = checkRequest{} }
func (m *checkRequest) String() string { return fmt.Sprintf("CheckRequest{service:%q}", m.Service) }
func (*checkRequest) ProtoMessage()    {}

func (m *checkRequest) Marshal() ([]byte, error) {
	if m.Service == "" {
		return nil, nil
	}
	b := appendVarint(nil, 1<<3|2)
	b = appendVarint(b, uint64(len(m.Service)))
	return append(b, m.Service...), nil
}

// Unmarshal decodes field 1 and skips unknown fields, as generated code would:
// the server must really parse the request, like kinglet's protobuf-c does.
func (m *checkRequest) Unmarshal(b []byte) error {
	for len(b) > 0 {
		key, n := readVarint(b)
		if n <= 0 {
			return errors.New("CheckRequest: bad field key")
		}
		b = b[n:]
		field, wire := key>>3, key&7
		switch wire {
		case 0:
			_, n = readVarint(b)
			if n <= 0 {
				return errors.New("CheckRequest: bad varint")
			}
			b = b[n:]
		case 1:
			if len(b) < 8 {
				return errors.New("CheckRequest: truncated fixed64")
			}
			b = b[8:]
		case 2:
			l, n := readVarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return errors.New("CheckRequest: bad length")
			}
			if field == 1 {
				m.Service = string(b[n : n+int(l)])
			}
			b = b[n+int(l):]
		case 5:
			if len(b) < 4 {
				return errors.New("CheckRequest: truncated fixed32")
			}
			b = b[4:]
		default:
			return fmt.Errorf("CheckRequest: unsupported wire type %d", wire)
		}
	}
	return nil
}

// healthCheckResponse is grpc.HealthCheckResponse { ServingStatus status = 1; }.
type healthCheckResponse struct {
	Status int32
}

const servingStatusServing = 1

func (m *healthCheckResponse) Reset() { *m = healthCheckResponse{} }
func (m *healthCheckResponse) String() string {
	return fmt.Sprintf("HealthCheckResponse{status:%d}", m.Status)
}
func (*healthCheckResponse) ProtoMessage() {}

// Marshal gives 08 01 for SERVING; proto3 leaves a zero status out.
func (m *healthCheckResponse) Marshal() ([]byte, error) {
	if m.Status == 0 {
		return nil, nil
	}
	return appendVarint([]byte{1<<3 | 0}, uint64(int64(m.Status))), nil
}

func (m *healthCheckResponse) Unmarshal(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if b[0] != 1<<3|0 {
		return errors.New("HealthCheckResponse: unexpected field")
	}
	v, n := readVarint(b[1:])
	if n <= 0 || n+1 != len(b) {
		return errors.New("HealthCheckResponse: bad status")
	}
	m.Status = int32(v)
	return nil
}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// readVarint returns the value and the bytes used, or 0 bytes when b ends
// mid-varint or the varint is longer than 10 bytes.
func readVarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * uint(i))
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

func check(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
	var req checkRequest
	if err := unmarshal(&req); err != nil {
		return nil, err
	}
	return &healthCheckResponse{Status: servingStatusServing}, nil
}

func main() {
	addr := flag.String("addr", "", "unix socket path to listen on")
	flag.Parse()
	if *addr == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: go-ttrpc-server -addr /path/to/socket")
		os.Exit(2)
	}

	server, err := ttrpc.NewServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-ttrpc-server:", err)
		os.Exit(1)
	}
	server.Register("grpc.Health", map[string]ttrpc.Method{"Check": check})

	// A stale socket from a killed run would make Listen fail with EADDRINUSE.
	os.Remove(*addr)
	l, err := net.Listen("unix", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-ttrpc-server:", err)
		os.Exit(1)
	}

	// Close the listener on SIGTERM/SIGINT so the socket file goes away
	// (net.UnixListener unlinks it on Close).
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		server.Close()
	}()

	err = server.Serve(context.Background(), l)
	if err != nil && !errors.Is(err, ttrpc.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "go-ttrpc-server:", err)
		os.Exit(1)
	}
}
