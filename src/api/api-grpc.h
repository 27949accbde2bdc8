/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The functions of Debian's gRPC core library (libgrpc.so.29, gRPC 1.51) the service uses,
 * resolved with dlopen() by api_grpc_load(): every other rkt command would otherwise pay
 * the loading of libgrpc and its ~50 libraries. Include this instead of <grpc/grpc.h>: the
 * names below then call the resolved pointers. Runs in: rkt api-service.
 */
#pragma once

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_posix.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#include "error.h"

#define API_GRPC_SYMS(X)                           \
        X(grpc_init)                               \
        X(grpc_shutdown_blocking)                  \
        X(grpc_completion_queue_create_for_next)   \
        X(grpc_completion_queue_next)              \
        X(grpc_completion_queue_shutdown)          \
        X(grpc_completion_queue_destroy)           \
        X(grpc_server_create)                      \
        X(grpc_server_register_completion_queue)   \
        X(grpc_server_register_method)             \
        X(grpc_server_request_registered_call)     \
        X(grpc_server_request_call)                \
        X(grpc_server_start)                       \
        X(grpc_server_shutdown_and_notify)         \
        X(grpc_server_cancel_all_calls)            \
        X(grpc_server_destroy)                     \
        X(grpc_server_add_channel_from_fd)         \
        X(grpc_insecure_server_credentials_create) \
        X(grpc_server_credentials_release)         \
        X(grpc_call_start_batch)                   \
        X(grpc_call_unref)                         \
        X(grpc_metadata_array_init)                \
        X(grpc_metadata_array_destroy)             \
        X(grpc_call_details_init)                  \
        X(grpc_call_details_destroy)               \
        X(grpc_raw_byte_buffer_create)             \
        X(grpc_byte_buffer_destroy)                \
        X(grpc_byte_buffer_reader_init)            \
        X(grpc_byte_buffer_reader_readall)         \
        X(grpc_byte_buffer_reader_destroy)         \
        X(grpc_slice_new)                          \
        X(grpc_slice_from_copied_string)           \
        X(grpc_slice_unref)

#define API_GRPC_DECLARE(fn) extern typeof(fn) *sym_##fn;
API_GRPC_SYMS(API_GRPC_DECLARE)
#undef API_GRPC_DECLARE

#ifndef API_GRPC_IMPL
#define grpc_init                               sym_grpc_init
#define grpc_shutdown_blocking                  sym_grpc_shutdown_blocking
#define grpc_completion_queue_create_for_next   sym_grpc_completion_queue_create_for_next
#define grpc_completion_queue_next              sym_grpc_completion_queue_next
#define grpc_completion_queue_shutdown          sym_grpc_completion_queue_shutdown
#define grpc_completion_queue_destroy           sym_grpc_completion_queue_destroy
#define grpc_server_create                      sym_grpc_server_create
#define grpc_server_register_completion_queue   sym_grpc_server_register_completion_queue
#define grpc_server_register_method             sym_grpc_server_register_method
#define grpc_server_request_registered_call     sym_grpc_server_request_registered_call
#define grpc_server_request_call                sym_grpc_server_request_call
#define grpc_server_start                       sym_grpc_server_start
#define grpc_server_shutdown_and_notify         sym_grpc_server_shutdown_and_notify
#define grpc_server_cancel_all_calls            sym_grpc_server_cancel_all_calls
#define grpc_server_destroy                     sym_grpc_server_destroy
#define grpc_server_add_channel_from_fd         sym_grpc_server_add_channel_from_fd
#define grpc_insecure_server_credentials_create sym_grpc_insecure_server_credentials_create
#define grpc_server_credentials_release         sym_grpc_server_credentials_release
#define grpc_call_start_batch                   sym_grpc_call_start_batch
#define grpc_call_unref                         sym_grpc_call_unref
#define grpc_metadata_array_init                sym_grpc_metadata_array_init
#define grpc_metadata_array_destroy             sym_grpc_metadata_array_destroy
#define grpc_call_details_init                  sym_grpc_call_details_init
#define grpc_call_details_destroy               sym_grpc_call_details_destroy
#define grpc_raw_byte_buffer_create             sym_grpc_raw_byte_buffer_create
#define grpc_byte_buffer_destroy                sym_grpc_byte_buffer_destroy
#define grpc_byte_buffer_reader_init            sym_grpc_byte_buffer_reader_init
#define grpc_byte_buffer_reader_readall         sym_grpc_byte_buffer_reader_readall
#define grpc_byte_buffer_reader_destroy         sym_grpc_byte_buffer_reader_destroy
#define grpc_slice_new                          sym_grpc_slice_new
#define grpc_slice_from_copied_string           sym_grpc_slice_from_copied_string
#define grpc_slice_unref                        sym_grpc_slice_unref
#endif

/*
 * Opens libgrpc.so.29 and resolves the functions above (once). Errors: "gRPC is not
 * available: ..." (-EOPNOTSUPP).
 */
int api_grpc_load(struct rk_error **reterr);
