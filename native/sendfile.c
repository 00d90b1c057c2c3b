/*
 * Berth's one native helper: sendfile(2) from a blob file to a client's TCP socket, so pulls move page-cache pages to
 * the socket without copying them through JavaScript buffers (Node exposes no sendfile).
 *
 * sendFile(socketFd, fileFd, offset, length, waitMs) -> Promise<number of bytes sent>
 * runs on libuv's thread pool, on a duplicate of the socket descriptor. It sends until `length` bytes went out, the file ends, or the socket stays full for
 * `waitMs`; the caller loops, so a slow client parks a pool thread for at most `waitMs` at a time. Errors reject
 * with an Error whose `code` is the errno name (EPIPE, ECONNRESET, ...).
 *
 * The N-API declarations below are written out (the ABI is stable across Node versions) so that building needs only
 * a C compiler, not Node's headers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef NAPI_VERSION /* the real header, when a check build includes it first, declares these */
typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_deferred__ *napi_deferred;
typedef struct napi_async_work__ *napi_async_work;
typedef struct napi_callback_info__ *napi_callback_info;
typedef int napi_status;
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);
typedef void (*napi_async_execute_callback)(napi_env env, void *data);
typedef void (*napi_async_complete_callback)(napi_env env, napi_status status, void *data);
#endif

napi_status napi_get_cb_info(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv,
                             napi_value *this_arg, void **data);
napi_status napi_get_value_int32(napi_env env, napi_value value, int32_t *result);
napi_status napi_get_value_int64(napi_env env, napi_value value, int64_t *result);
napi_status napi_create_double(napi_env env, double value, napi_value *result);
napi_status napi_create_string_utf8(napi_env env, const char *str, size_t length, napi_value *result);
napi_status napi_create_error(napi_env env, napi_value code, napi_value msg, napi_value *result);
napi_status napi_create_promise(napi_env env, napi_deferred *deferred, napi_value *promise);
napi_status napi_resolve_deferred(napi_env env, napi_deferred deferred, napi_value resolution);
napi_status napi_reject_deferred(napi_env env, napi_deferred deferred, napi_value rejection);
napi_status napi_create_async_work(napi_env env, napi_value async_resource, napi_value async_resource_name,
                                   napi_async_execute_callback execute, napi_async_complete_callback complete,
                                   void *data, napi_async_work *result);
napi_status napi_queue_async_work(napi_env env, napi_async_work work);
napi_status napi_delete_async_work(napi_env env, napi_async_work work);
napi_status napi_create_function(napi_env env, const char *utf8name, size_t length, napi_callback cb, void *data,
                                 napi_value *result);
napi_status napi_set_named_property(napi_env env, napi_value object, const char *utf8name, napi_value value);
napi_status napi_throw_error(napi_env env, const char *code, const char *msg);

struct job {
  int socket_fd;
  int file_fd;
  int64_t offset;
  int64_t length;
  int wait_ms;
  int64_t sent;
  int error;
  napi_deferred deferred;
  napi_async_work work;
};

static void execute(napi_env env, void *data) {
  (void)env;
  struct job *job = data;
  off_t offset = (off_t)job->offset;
  while (job->sent < job->length) {
    int64_t left = job->length - job->sent;
    size_t want = left > 0x7ffff000 ? 0x7ffff000 : (size_t)left;
    ssize_t sent = sendfile(job->socket_fd, job->file_fd, &offset, want);
    if (sent > 0) {
      job->sent += sent;
      continue;
    }
    if (sent == 0) break; /* the file ended early: the caller sees the short count */
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      job->error = errno;
      break;
    }
    struct pollfd socket = {.fd = job->socket_fd, .events = POLLOUT, .revents = 0};
    int ready = poll(&socket, 1, job->wait_ms);
    if (ready == 0) break; /* still full: hand back what went out, so the thread serves others */
    if (ready < 0 && errno != EINTR) {
      job->error = errno;
      break;
    }
    if (socket.revents & POLLNVAL) {
      job->error = EBADF;
      break;
    }
  }
}

static const char *errno_name(int error) {
  switch (error) {
    case EPIPE: return "EPIPE";
    case ECONNRESET: return "ECONNRESET";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case ENOMEM: return "ENOMEM";
    case ENOTCONN: return "ENOTCONN";
    case ENOTSOCK: return "ENOTSOCK";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EOVERFLOW: return "EOVERFLOW";
    case EMFILE: return "EMFILE";
    default: return "ESENDFILE";
  }
}

static void complete(napi_env env, napi_status status, void *data) {
  struct job *job = data;
  napi_value result;
  if (job->error != 0 || status != 0) {
    const char *code = job->error != 0 ? errno_name(job->error) : "ECANCELED";
    const char *message = job->error != 0 ? strerror(job->error) : "sendfile was cancelled";
    napi_value code_value, message_value;
    napi_create_string_utf8(env, code, strlen(code), &code_value);
    napi_create_string_utf8(env, message, strlen(message), &message_value);
    napi_create_error(env, code_value, message_value, &result);
    napi_reject_deferred(env, job->deferred, result);
  } else {
    napi_create_double(env, (double)job->sent, &result);
    napi_resolve_deferred(env, job->deferred, result);
  }
  napi_delete_async_work(env, job->work);
  close(job->socket_fd);
  free(job);
}

static napi_value send_file(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc != 5) {
    napi_throw_error(env, "ERR_INVALID_ARG", "sendFile(socketFd, fileFd, offset, length, waitMs)");
    return NULL;
  }
  struct job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  if (napi_get_value_int32(env, argv[0], &job->socket_fd) != 0 || napi_get_value_int32(env, argv[1], &job->file_fd) != 0 ||
      napi_get_value_int64(env, argv[2], &job->offset) != 0 || napi_get_value_int64(env, argv[3], &job->length) != 0 ||
      napi_get_value_int32(env, argv[4], &job->wait_ms) != 0 || job->socket_fd < 0 || job->file_fd < 0 ||
      job->offset < 0 || job->length < 0) {
    free(job);
    napi_throw_error(env, "ERR_INVALID_ARG", "sendFile needs two descriptors and non-negative numbers");
    return NULL;
  }
  /*
   * Work on a duplicate of the socket's descriptor: should Node close the socket meanwhile (the client reset it), its
   * number could be reused by another connection before the thread writes. The duplicate keeps this socket open.
   */
  job->socket_fd = fcntl(job->socket_fd, F_DUPFD_CLOEXEC, 0);
  if (job->socket_fd < 0) {
    free(job);
    napi_throw_error(env, errno_name(errno), strerror(errno));
    return NULL;
  }
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "berth.sendfile", 14, &name);
  if (napi_create_async_work(env, NULL, name, execute, complete, job, &job->work) != 0 ||
      napi_queue_async_work(env, job->work) != 0) {
    close(job->socket_fd);
    free(job);
    napi_throw_error(env, "ERR_ASYNC_WORK", "could not queue sendfile");
    return NULL;
  }
  return promise;
}

__attribute__((visibility("default"))) napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  napi_value function;
  napi_create_function(env, "sendFile", 8, send_file, NULL, &function);
  napi_set_named_property(env, exports, "sendFile", function);
  return exports;
}
