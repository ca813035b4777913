/*
 * tskeepalived native netlink socket (N-API, C).
 *
 * A netlink socket watched by the Node event loop (uv_poll) that survives what the kernel reports on it.
 * The one thing this adds over a plain socket: when the kernel cannot queue a notification for a
 * subscriber (its receive buffer is full), it sets ENOBUFS on the socket; epoll then reports an error
 * condition, libuv stops the poll handle and hands the callback UV_EBADF. Here that is read back with
 * SO_ERROR (which clears it), given to JavaScript as ENOBUFS, and the poll is started again, so the
 * subscription goes on and its owner can resynchronise by a dump. Datagrams read in one loop turn are
 * handed over in one call, as an array of Buffers.
 *
 * JS side: src/net/netlink/socket.ts.
 *
 *   open(protocol, callback(datagrams: Buffer[] | null, errno)) -> socket
 *                          bound with a port chosen by the kernel; callback(array, 0) for datagrams,
 *                          callback(null, errno) for an error the socket reported (ENOBUFS: lost messages)
 *   rcvbuf(socket, bytes, force) -> 0 or errno: SO_RCVBUFFORCE when force (needs CAP_NET_ADMIN), else SO_RCVBUF
 *   rcvbufSize(socket) -> SO_RCVBUF as the kernel keeps it (twice the request, capped by rmem_max unless forced)
 *   membership(socket, group, add) -> 0 or errno (NETLINK_ADD_MEMBERSHIP / NETLINK_DROP_MEMBERSHIP)
 *   send(socket, buffer) -> 0 or errno (to the kernel, port 0; never blocks)
 *   port(socket) -> the port (nl_pid) the kernel gave the socket
 *   ref(socket, bool)      whether the poll handle keeps the process alive (not by default)
 *   close(socket)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/netlink.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* A datagram larger than this is reported as EMSGSIZE (the kernel's notifications and dump parts are a page
 * or a few pages; 64 KiB is netlink's own upper bound for a dump part). */
#define RECV_BUF (64 * 1024)
/* Datagrams read per loop turn at most, so that a flood does not starve the loop. */
#define PER_TURN 64

typedef struct {
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  uv_poll_t poll;
  int fd;
  int closed;
  int polling;
  unsigned char *buf;
} nlsock_t;

#define CHECK(call)                                                                   \
  do {                                                                                \
    if ((call) != napi_ok) {                                                          \
      napi_throw_error(env, NULL, "netlink: " #call " failed");                       \
      return NULL;                                                                    \
    }                                                                                 \
  } while (0)

static void call_js(nlsock_t *s, napi_value datagrams, int err) {
  napi_env env = s->env;
  napi_value cb, recv, argv[2], ret;
  napi_get_reference_value(env, s->callback, &cb);
  napi_get_global(env, &recv);
  argv[0] = datagrams;
  napi_create_int32(env, err, &argv[1]);
  napi_status st = napi_make_callback(env, s->async, recv, cb, 2, argv, &ret);
  if (st == napi_pending_exception) {
    napi_value e;
    napi_get_and_clear_last_exception(env, &e);
    napi_fatal_exception(env, e);
  }
}

static void report_error(nlsock_t *s, int err) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(s->env, &scope) != napi_ok) return;
  napi_value nul;
  napi_get_null(s->env, &nul);
  call_js(s, nul, err);
  napi_close_handle_scope(s->env, scope);
}

static void on_poll(uv_poll_t *h, int status, int events);

/* Reads what is queued (at most PER_TURN datagrams), hands it over, and reports an error the read met. */
static void drain(nlsock_t *s) {
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value arr = NULL;
  uint32_t n = 0;
  int err = 0;
  while (n < PER_TURN && !s->closed) {
    ssize_t len = recv(s->fd, s->buf, RECV_BUF, MSG_DONTWAIT | MSG_TRUNC);
    if (len < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
      break;
    }
    if (len > RECV_BUF) {
      err = EMSGSIZE;
      continue;
    }
    napi_value b;
    if (napi_create_buffer_copy(env, (size_t)len, s->buf, NULL, &b) != napi_ok) {
      err = ENOMEM;
      break;
    }
    if (!arr && napi_create_array(env, &arr) != napi_ok) break;
    napi_set_element(env, arr, n++, b);
  }
  if (n && !s->closed) call_js(s, arr, 0);
  if (err && !s->closed) {
    napi_value nul;
    napi_get_null(env, &nul);
    call_js(s, nul, err);
  }
  napi_close_handle_scope(env, scope);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  nlsock_t *s = h->data;
  if (s->closed) return;
  if (status < 0) {
    /* An error condition on the socket: libuv has stopped the handle. Read the error (this clears it),
     * report it, and watch again. */
    int err = 0;
    socklen_t l = sizeof err;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l) != 0) err = errno;
    s->polling = 0;
    if (err) report_error(s, err);
    if (!s->closed && uv_poll_start(&s->poll, UV_READABLE, on_poll) == 0) s->polling = 1;
    /* Whatever was queued before the error is still there. */
    if (!s->closed) drain(s);
    return;
  }
  if (events & UV_READABLE) drain(s);
}

static void on_handle_closed(uv_handle_t *h) {
  nlsock_t *s = h->data;
  free(s->buf);
  free(s);
}

static void shut(nlsock_t *s) {
  if (s->closed) return;
  s->closed = 1;
  uv_poll_stop(&s->poll);
  close(s->fd);
  napi_delete_reference(s->env, s->callback);
  napi_async_destroy(s->env, s->async);
  uv_close((uv_handle_t *)&s->poll, on_handle_closed);
}

static void on_env_cleanup(void *arg) { shut(arg); }

static nlsock_t *unwrap(napi_env env, napi_value v) {
  nlsock_t *s = NULL;
  if (napi_get_value_external(env, v, (void **)&s) != napi_ok || !s) {
    napi_throw_type_error(env, NULL, "netlink: not a socket");
    return NULL;
  }
  if (s->closed) {
    napi_throw_error(env, "EBADF", "netlink: socket closed");
    return NULL;
  }
  return s;
}

/* The socket in argv[0], after reading up to `n` arguments into argv; NULL with an exception thrown otherwise. */
static nlsock_t *socket_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv, size_t *argc) {
  size_t got = n;
  if (napi_get_cb_info(env, info, &got, argv, NULL, NULL) != napi_ok) {
    napi_throw_error(env, NULL, "netlink: napi_get_cb_info failed");
    return NULL;
  }
  if (argc) *argc = got;
  return unwrap(env, argv[0]);
}

static napi_value int_value(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out, name, resource;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t protocol;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &protocol) != napi_ok) {
    napi_throw_type_error(env, NULL, "netlink: open(protocol, callback)");
    return NULL;
  }
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
  if (fd < 0) {
    char msg[96];
    snprintf(msg, sizeof msg, "netlink: socket(AF_NETLINK, %d) failed: %s", protocol, strerror(errno));
    napi_throw_error(env, errno == EPROTONOSUPPORT ? "EPROTONOSUPPORT" : errno == EACCES || errno == EPERM ? "EPERM" : NULL, msg);
    return NULL;
  }
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    int e = errno;
    close(fd);
    char msg[96];
    snprintf(msg, sizeof msg, "netlink: bind failed: %s", strerror(e));
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  nlsock_t *s = calloc(1, sizeof *s);
  unsigned char *buf = malloc(RECV_BUF);
  if (!s || !buf) {
    free(s);
    free(buf);
    close(fd);
    napi_throw_error(env, "ENOMEM", "netlink: out of memory");
    return NULL;
  }
  s->env = env;
  s->fd = fd;
  s->buf = buf;
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  uv_poll_init(loop, &s->poll, fd);
  s->poll.data = s;
  uv_poll_start(&s->poll, UV_READABLE, on_poll);
  s->polling = 1;
  uv_unref((uv_handle_t *)&s->poll);
  CHECK(napi_create_reference(env, argv[1], 1, &s->callback));
  CHECK(napi_create_string_utf8(env, "tskeepalived:netlink", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_object(env, &resource));
  CHECK(napi_async_init(env, resource, name, &s->async));
  napi_add_env_cleanup_hook(env, on_env_cleanup, s);
  CHECK(napi_create_external(env, s, NULL, NULL, &out));
  return out;
}

static napi_value js_rcvbuf(napi_env env, napi_callback_info info) {
  size_t argc;
  napi_value argv[3];
  nlsock_t *s = socket_args(env, info, 3, argv, &argc);
  if (!s) return NULL;
  int32_t bytes = 0;
  bool force = false;
  CHECK(napi_get_value_int32(env, argv[1], &bytes));
  if (argc > 2) napi_get_value_bool(env, argv[2], &force);
  int r = setsockopt(s->fd, SOL_SOCKET, force ? SO_RCVBUFFORCE : SO_RCVBUF, &bytes, sizeof bytes);
  return int_value(env, r == 0 ? 0 : errno);
}

static napi_value js_rcvbuf_size(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  nlsock_t *s = socket_args(env, info, 1, argv, NULL);
  if (!s) return NULL;
  int v = 0;
  socklen_t l = sizeof v;
  if (getsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &v, &l) != 0) v = -errno;
  return int_value(env, v);
}

static napi_value js_membership(napi_env env, napi_callback_info info) {
  size_t argc;
  napi_value argv[3];
  nlsock_t *s = socket_args(env, info, 3, argv, &argc);
  if (!s) return NULL;
  int32_t group = 0;
  bool add = true;
  CHECK(napi_get_value_int32(env, argv[1], &group));
  if (argc > 2) napi_get_value_bool(env, argv[2], &add);
  int r = setsockopt(s->fd, SOL_NETLINK, add ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP, &group, sizeof group);
  return int_value(env, r == 0 ? 0 : errno);
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  nlsock_t *s = socket_args(env, info, 2, argv, NULL);
  if (!s) return NULL;
  void *data;
  size_t len;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "netlink: send(socket, Buffer)");
    return NULL;
  }
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  ssize_t r;
  do r = sendto(s->fd, data, len, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to);
  while (r < 0 && errno == EINTR);
  return int_value(env, r < 0 ? errno : 0);
}

static napi_value js_port(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  nlsock_t *s = socket_args(env, info, 1, argv, NULL);
  if (!s) return NULL;
  struct sockaddr_nl sa;
  socklen_t l = sizeof sa;
  napi_value out;
  if (getsockname(s->fd, (struct sockaddr *)&sa, &l) != 0) return int_value(env, -errno);
  napi_create_uint32(env, sa.nl_pid, &out);
  return out;
}

static napi_value js_ref(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  nlsock_t *s = socket_args(env, info, 2, argv, NULL);
  if (!s) return NULL;
  bool on = false;
  napi_get_value_bool(env, argv[1], &on);
  if (on) uv_ref((uv_handle_t *)&s->poll);
  else uv_unref((uv_handle_t *)&s->poll);
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  nlsock_t *s = NULL;
  CHECK(napi_get_value_external(env, argv[0], (void **)&s));
  if (s && !s->closed) {
    napi_remove_env_cleanup_hook(env, on_env_cleanup, s);
    shut(s);
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rcvbuf", NULL, js_rcvbuf, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rcvbufSize", NULL, js_rcvbuf_size, NULL, NULL, NULL, napi_enumerable, NULL},
      {"membership", NULL, js_membership, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"port", NULL, js_port, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ref", NULL, js_ref, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
