/*
 * tskeepalived native TCP check engine (N-API, C).
 *
 * TCP_CHECK is a bare handshake: socket, connect, wait for writability, close. Done through Node's TCP
 * handles each check costs a handle object, a request object, a promise and a timer on the JS side, about
 * ten times the user CPU keepalived spends on the same check. This engine does the socket work in C on
 * one epoll descriptor watched by the Node event loop (uv_poll), keeps the checks' due times in a min-heap
 * and the connect time limits in one FIFO per distinct connect_timeout (attempts with the same limit end
 * in the order they started: O(1) each) behind one uv_timer, and hands completed checks to JavaScript in
 * batches: one call per loop turn with (slot, errno, microseconds) triples in a shared Int32Array.
 *
 * The routine case stays in C: a slot armed with a routine interval (its checker up, no failure counted)
 * that succeeds again is simply due again one interval after its last due time, and counted; JavaScript
 * hears only of the other outcomes (a failure, or any result of a slot armed without a routine interval),
 * applies keepalived's rules there (src/check/state.ts) and arms the slot again. Due times are served in
 * 10 ms ticks (at most 5 ms early or late, without drift); connect time limits to the millisecond.
 *
 * JS side: src/check/probes/tcp-engine.ts. Targets (address, port, bindto/bind_port, bind_if, fwmark,
 * connect_timeout) are registered once as slots; a check is start(slot). Everything runs on the loop's
 * thread; an engine belongs to one N-API environment (worker threads get their own).
 *
 *   open(callback, results: Int32Array) -> engine
 *   target(engine, slot, family 4|6, addr, port, bindAddr|null, bindPort, ifname|null, mark, timeoutMs)
 *                          sets a slot's target: a new one (slot = the count so far) or one no longer used
 *   start(engine, slot) -> 0, or the errno of a failure known at once (socket, bind, connect, epoll_ctl),
 *                          plus 1<<16 when SO_BINDTODEVICE failed, 2<<16 when SO_MARK did
 *   arm(engine, slot, delayMs, routineMs) -> 0, or ENOMEM when the schedule cannot hold it: an attempt in
 *                          delayMs (a failure to start is a result); routineMs > 0: a success repeats every
 *                          routineMs without a result (when the next one cannot be scheduled, the success
 *                          goes to JavaScript, which arms again)
 *   heapLimit(engine, n)   caps the schedule at n entries (n < 0: no cap): tests of an allocation failure
 *   stats(engine, slot) -> [routine successes since the target was set, last attempt's microseconds]
 *   cancel(engine, slot)   closes an attempt in flight without a result, and drops the slot's schedule
 *   close(engine)          closes every attempt in flight and the engine's handles
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

typedef struct {
  struct sockaddr_storage dst, src;
  socklen_t dst_len, src_len; /* src_len 0: no bind */
  char ifname[IFNAMSIZ];
  uint32_t mark;
  uint32_t timeout_us;
  uint32_t dq; /* the deadline queue of its timeout */
  int fd;       /* -1 while idle */
  uint32_t gen; /* bumped at each start: stale epoll events and deadlines are recognised */
  uint32_t sgen; /* bumped at each arm and cancel: stale due times are recognised */
  uint64_t started_us;
  uint64_t due_us;     /* when the attempt in flight (or the next) was due */
  uint32_t routine_us; /* 0: every result goes to JavaScript */
  uint32_t last_us;
  double routine_checks;
} slot_t;

enum { DEADLINE, DUE };
/* Added to an errno from setting a socket option, so the message can name the option. */
#define STAGE_BIND_IF (1 << 16)
#define STAGE_FWMARK (2 << 16)
#define TICK_US 10000u
/* Attempts started per timer turn at most: an overloaded host (more due than it can start) still returns to
 * the loop between batches, so completions, signals and the status/metrics sockets are served. */
#ifndef STARTS_PER_TURN
#define STARTS_PER_TURN 256u
#endif

typedef struct {
  uint64_t at_us;
  uint32_t slot;
  uint32_t gen : 31;
  uint32_t kind : 1;
} deadline_t;

/* Deadlines of attempts sharing one connect_timeout: a ring, oldest first. */
typedef struct {
  uint32_t timeout_us;
  deadline_t *ring;
  uint32_t head, len, cap;
} dq_t;

typedef struct engine {
  napi_env env;
  napi_ref callback, results_ref;
  napi_async_context async;
  int32_t *results; /* triples */
  uint32_t results_cap; /* in triples */
  int epfd;
  uv_poll_t poll;
  uv_timer_t timer;
  int handles_open;
  uint64_t timer_at_us; /* 0: timer not armed */
  slot_t *slots;
  uint32_t nslots, slots_cap;
  deadline_t *heap; /* due times */
  uint32_t nheap, heap_cap;
  uint32_t heap_limit; /* 0: none; else the heap holds at most heap_limit - 1 (heapLimit(), tests of ENOMEM) */
  dq_t *dqs;
  uint32_t ndqs, dqs_cap;
  uint32_t inflight;
  int closed;
} engine_t;

static uint64_t now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/* ---- deadlines: a binary min-heap on at_us ---- */

static int heap_push(engine_t *e, deadline_t d) {
  if (e->heap_limit && e->nheap >= e->heap_limit - 1) return -1;
  if (e->nheap == e->heap_cap) {
    uint32_t cap = e->heap_cap ? e->heap_cap * 2 : 1024;
    deadline_t *h = realloc(e->heap, cap * sizeof *h);
    if (!h) return -1;
    e->heap = h;
    e->heap_cap = cap;
  }
  uint32_t i = e->nheap++;
  while (i > 0) {
    uint32_t up = (i - 1) / 2;
    if (e->heap[up].at_us <= d.at_us) break;
    e->heap[i] = e->heap[up];
    i = up;
  }
  e->heap[i] = d;
  return 0;
}

static deadline_t heap_pop(engine_t *e) {
  deadline_t top = e->heap[0], last = e->heap[--e->nheap];
  uint32_t i = 0, n = e->nheap;
  for (;;) {
    uint32_t l = 2 * i + 1, r = l + 1, m = i;
    uint64_t mv = last.at_us;
    if (l < n && e->heap[l].at_us < mv) { m = l; mv = e->heap[l].at_us; }
    if (r < n && e->heap[r].at_us < mv) m = r;
    if (m == i) break;
    e->heap[i] = e->heap[m];
    i = m;
  }
  if (n) e->heap[i] = last;
  return top;
}

/* ---- deadlines: a FIFO per connect_timeout ---- */

static int dq_push(dq_t *q, deadline_t d) {
  if (q->len == q->cap) {
    uint32_t cap = q->cap ? q->cap * 2 : 256;
    deadline_t *r = malloc(cap * sizeof *r);
    if (!r) return -1;
    for (uint32_t i = 0; i < q->len; i++) r[i] = q->ring[(q->head + i) % q->cap];
    free(q->ring);
    q->ring = r;
    q->head = 0;
    q->cap = cap;
  }
  q->ring[(q->head + q->len) % q->cap] = d;
  q->len++;
  return 0;
}

static void dq_pop(dq_t *q) {
  q->head = (q->head + 1) % q->cap;
  q->len--;
}

/* The queue for `timeout_us`, made on first use; -1 when out of memory. */
static int dq_for(engine_t *e, uint32_t timeout_us) {
  for (uint32_t i = 0; i < e->ndqs; i++)
    if (e->dqs[i].timeout_us == timeout_us) return (int)i;
  if (e->ndqs == e->dqs_cap) {
    uint32_t cap = e->dqs_cap ? e->dqs_cap * 2 : 4;
    dq_t *q = realloc(e->dqs, cap * sizeof *q);
    if (!q) return -1;
    e->dqs = q;
    e->dqs_cap = cap;
  }
  memset(&e->dqs[e->ndqs], 0, sizeof(dq_t));
  e->dqs[e->ndqs].timeout_us = timeout_us;
  return (int)e->ndqs++;
}

/* ---- attempts ---- */

static void ref_update(engine_t *e) {
  /* The poll handle keeps the process alive only while checks are in flight. */
  if (!e->handles_open) return;
  if (e->inflight) {
    uv_ref((uv_handle_t *)&e->poll);
  } else {
    uv_unref((uv_handle_t *)&e->poll);
  }
}

static void end_attempt(engine_t *e, slot_t *s) {
  close(s->fd); /* also leaves the epoll set */
  s->fd = -1;
  s->gen++;
  e->inflight--;
}

static void on_timer(uv_timer_t *t);
static int schedule(engine_t *e, uint32_t idx, uint64_t at);
static int start_attempt(engine_t *e, uint32_t idx, uint64_t now);

static int live(engine_t *e, deadline_t d) {
  slot_t *s = &e->slots[d.slot];
  return d.kind == DUE ? (s->sgen & 0x7fffffffu) == d.gen : s->fd >= 0 && (s->gen & 0x7fffffffu) == d.gen;
}

static void arm_timer(engine_t *e) {
  /* Drop due times replaced and deadlines of attempts already ended, then aim at the earliest live one. */
  uint64_t at = UINT64_MAX;
  while (e->nheap && !live(e, e->heap[0])) heap_pop(e);
  /* A due time is served in the 10 ms tick nearest to it: checks due together wake the loop once. */
  if (e->nheap) at = (e->heap[0].at_us + TICK_US / 2) / TICK_US * TICK_US;
  for (uint32_t i = 0; i < e->ndqs; i++) {
    dq_t *q = &e->dqs[i];
    while (q->len && !live(e, q->ring[q->head])) dq_pop(q);
    if (q->len && q->ring[q->head].at_us < at) at = q->ring[q->head].at_us;
  }
  if (at == UINT64_MAX) {
    if (e->timer_at_us) uv_timer_stop(&e->timer);
    e->timer_at_us = 0;
    return;
  }
  if (e->timer_at_us && e->timer_at_us <= at) return;
  uint64_t now = now_us();
  /* At least 1 ms: what is due now runs in the loop's next turn, after the I/O polled meanwhile. */
  uint64_t ms = at > now ? (at - now + 999) / 1000 : 1;
  uv_timer_start(&e->timer, on_timer, ms, 0);
  e->timer_at_us = at;
}

/* Hands `n` result triples to JavaScript. */
static void deliver(engine_t *e, uint32_t n) {
  if (!n || e->closed) return;
  napi_env env = e->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, argv[1], ret;
  napi_get_reference_value(env, e->callback, &cb);
  napi_get_global(env, &recv);
  napi_create_uint32(env, n, &argv[0]);
  napi_status st = napi_make_callback(env, e->async, recv, cb, 1, argv, &ret);
  if (st == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

/* Takes every completed attempt off the epoll set: routine successes rescheduled, the rest to JavaScript. */
static void collect(engine_t *e) {
  struct epoll_event ev[256];
  while (!e->closed) {
    uint32_t n = 0;
    while (n < e->results_cap) {
      int max = (int)(e->results_cap - n < 256 ? e->results_cap - n : 256);
      int k = epoll_wait(e->epfd, ev, max, 0);
      if (k <= 0) break;
      uint64_t now = now_us();
      for (int j = 0; j < k; j++) {
        uint32_t idx = (uint32_t)ev[j].data.u64, gen = (uint32_t)(ev[j].data.u64 >> 32);
        if (idx >= e->nslots) continue;
        slot_t *s = &e->slots[idx];
        if (s->fd < 0 || s->gen != gen) continue;
        int err = 0;
        if (ev[j].events & (EPOLLERR | EPOLLHUP)) {
          socklen_t len = sizeof err;
          if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
          if (!err) err = ECONNRESET;
        }
        s->last_us = (uint32_t)(now - s->started_us);
        end_attempt(e, s);
        if (!err && s->routine_us) {
          /* Routine: due again one interval after this one was due (later if it ran past that). */
          s->routine_checks++;
          uint64_t next = s->due_us + s->routine_us;
          if (schedule(e, idx, next > now ? next : now + s->routine_us) == 0) continue;
          /* No room for the next due time: the success goes to JavaScript, which arms the slot again. */
        }
        e->results[3 * n] = (int32_t)idx;
        e->results[3 * n + 1] = err;
        e->results[3 * n + 2] = (int32_t)s->last_us;
        n++;
      }
      if (k < max) break;
    }
    ref_update(e);
    arm_timer(e);
    deliver(e, n);
    if (n < e->results_cap) break;
  }
}

static void on_poll(uv_poll_t *p, int status, int events) {
  (void)status;
  (void)events;
  collect(p->data);
}

static void on_timer(uv_timer_t *t) {
  engine_t *e = t->data;
  e->timer_at_us = 0;
  uint64_t now = now_us();
  /* A time limit yields to an answer already in: the loop runs timers before polling, and a loop busy past
   * connect_timeout must not fail a check whose handshake completed in time. */
  if (e->inflight) {
    collect(e);
    if (e->closed) return;
    now = now_us(); /* JavaScript may have started attempts meanwhile: keep each deadline queue in order */
  }
  uint32_t n = 0, started = 0;
  /* Time limits first (a due time must not restart a slot whose attempt is timing out). */
  for (uint32_t i = 0; i < e->ndqs; i++) {
    dq_t *q = &e->dqs[i];
    while (q->len && q->ring[q->head].at_us <= now + 500 && n < e->results_cap) {
      deadline_t d = q->ring[q->head];
      dq_pop(q);
      if (!live(e, d)) continue;
      slot_t *s = &e->slots[d.slot];
      s->last_us = (uint32_t)(now - s->started_us);
      end_attempt(e, s);
      e->results[3 * n] = (int32_t)d.slot;
      e->results[3 * n + 1] = ETIMEDOUT;
      e->results[3 * n + 2] = (int32_t)s->last_us;
      n++;
    }
  }
  while (e->nheap && n < e->results_cap && started < STARTS_PER_TURN) {
    deadline_t d = e->heap[0];
    if (d.at_us > now + TICK_US / 2) break;
    heap_pop(e);
    if (!live(e, d)) continue;
    slot_t *s = &e->slots[d.slot];
    s->sgen++; /* this due time is used */
    int err = start_attempt(e, d.slot, now);
    if (!err) {
      started++;
      continue;
    }
    s->last_us = 0;
    e->results[3 * n] = (int32_t)d.slot;
    e->results[3 * n + 1] = err;
    e->results[3 * n + 2] = 0;
    n++;
  }
  ref_update(e);
  arm_timer(e);
  deliver(e, n);
  /* Handshakes with near peers are often complete already: take them now rather than in another turn
   * of the loop (one epoll_wait instead of a wake-up). */
  if (started) collect(e);
}

/* `now`: the caller's clock reading, shared by a batch (clock_gettime is a system call on some hosts). */
static int start_attempt(engine_t *e, uint32_t idx, uint64_t now) {
  slot_t *s = &e->slots[idx];
  if (s->fd >= 0) end_attempt(e, s);
  int fd = socket(s->dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return errno;
  int err = 0;
  if (s->ifname[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->ifname, (socklen_t)strlen(s->ifname) + 1) != 0) err = errno | STAGE_BIND_IF;
  if (!err && s->mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &s->mark, sizeof s->mark) != 0) err = errno | STAGE_FWMARK;
  if (!err && s->src_len && bind(fd, (struct sockaddr *)&s->src, s->src_len) != 0) err = errno;
  if (!err && connect(fd, (struct sockaddr *)&s->dst, s->dst_len) != 0 && errno != EINPROGRESS) err = errno;
  if (!err) {
    struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = ((uint64_t)(s->gen + 1) << 32) | idx};
    if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) err = errno;
  }
  if (err) {
    close(fd);
    return err;
  }
  s->gen++;
  s->fd = fd;
  s->started_us = now;
  e->inflight++;
  if (dq_push(&e->dqs[s->dq], (deadline_t){.at_us = s->started_us + s->timeout_us, .slot = idx, .gen = s->gen & 0x7fffffffu, .kind = DEADLINE}) != 0) {
    end_attempt(e, s);
    return ENOMEM;
  }
  ref_update(e);
  return 0; /* the caller aims the timer (once per batch) */
}

/* The slot's next attempt at `at` (replacing any schedule it had); ENOMEM when the heap cannot hold it. */
static int schedule(engine_t *e, uint32_t idx, uint64_t at) {
  slot_t *s = &e->slots[idx];
  s->sgen++;
  s->due_us = at;
  if (heap_push(e, (deadline_t){.at_us = at, .slot = idx, .gen = s->sgen & 0x7fffffffu, .kind = DUE}) != 0) return ENOMEM;
  /* No re-aiming here: the caller's arm_timer does it (once per batch). */
  return 0;
}

/* ---- N-API glue ---- */

#define CHECK(call)                                                                   \
  do {                                                                                \
    if ((call) != napi_ok) {                                                          \
      napi_throw_error(env, NULL, "tcp_engine: " #call " failed");                    \
      return NULL;                                                                    \
    }                                                                                 \
  } while (0)

static void on_handle_closed(uv_handle_t *h) {
  engine_t *e = h->data;
  if (--e->handles_open == 0) {
    for (uint32_t i = 0; i < e->ndqs; i++) free(e->dqs[i].ring);
    free(e->dqs);
    free(e->slots);
    free(e->heap);
    free(e);
  }
}

static void shut(engine_t *e) {
  if (e->closed) return;
  e->closed = 1;
  for (uint32_t i = 0; i < e->nslots; i++)
    if (e->slots[i].fd >= 0) end_attempt(e, &e->slots[i]);
  uv_poll_stop(&e->poll);
  uv_timer_stop(&e->timer);
  close(e->epfd);
  napi_delete_reference(e->env, e->callback);
  napi_delete_reference(e->env, e->results_ref);
  napi_async_destroy(e->env, e->async);
  uv_close((uv_handle_t *)&e->poll, on_handle_closed);
  uv_close((uv_handle_t *)&e->timer, on_handle_closed);
}

static void on_env_cleanup(void *arg) { shut(arg); }

static engine_t *unwrap(napi_env env, napi_value v) {
  engine_t *e = NULL;
  if (napi_get_value_external(env, v, (void **)&e) != napi_ok || !e) {
    napi_throw_type_error(env, NULL, "tcp_engine: not an engine");
    return NULL;
  }
  if (e->closed) {
    napi_throw_error(env, NULL, "tcp_engine: engine closed");
    return NULL;
  }
  return e;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out, name;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_typedarray_type type;
  size_t length;
  void *data;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL));
  if (type != napi_int32_array || length < 3) {
    napi_throw_type_error(env, NULL, "tcp_engine: results must be an Int32Array of at least 3");
    return NULL;
  }
  engine_t *e = calloc(1, sizeof *e);
  if (!e) {
    napi_throw_error(env, "ENOMEM", "tcp_engine: out of memory");
    return NULL;
  }
  e->env = env;
  e->results = data;
  e->results_cap = (uint32_t)(length / 3);
  e->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (e->epfd < 0) {
    free(e);
    napi_throw_error(env, NULL, "tcp_engine: epoll_create1 failed");
    return NULL;
  }
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  uv_poll_init(loop, &e->poll, e->epfd);
  uv_timer_init(loop, &e->timer);
  e->poll.data = e->timer.data = e;
  e->handles_open = 2;
  uv_poll_start(&e->poll, UV_READABLE, on_poll);
  /* The poll handle keeps the process alive only while attempts are in flight (ref_update); the timer
   * while it is armed, i.e. while a check is due or a time limit runs, as a JS timer would. */
  uv_unref((uv_handle_t *)&e->poll);
  CHECK(napi_create_reference(env, argv[0], 1, &e->callback));
  CHECK(napi_create_reference(env, argv[1], 1, &e->results_ref));
  CHECK(napi_create_string_utf8(env, "tskeepalived:tcp_check", NAPI_AUTO_LENGTH, &name));
  napi_value resource;
  CHECK(napi_create_object(env, &resource));
  CHECK(napi_async_init(env, resource, name, &e->async));
  napi_add_env_cleanup_hook(env, on_env_cleanup, e);
  CHECK(napi_create_external(env, e, NULL, NULL, &out));
  return out;
}

static int parse_addr(napi_env env, napi_value v, int family, uint32_t port, struct sockaddr_storage *ss, socklen_t *len) {
  char buf[INET6_ADDRSTRLEN + 1];
  size_t n;
  if (napi_get_value_string_utf8(env, v, buf, sizeof buf, &n) != napi_ok) return -1;
  memset(ss, 0, sizeof *ss);
  if (family == 6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, buf, &a->sin6_addr) != 1) return -1;
    *len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, buf, &a->sin_addr) != 1) return -1;
    *len = sizeof *a;
  }
  return 0;
}

static napi_value js_target(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value args[10], out;
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  engine_t *e = unwrap(env, args[0]);
  if (!e) return NULL;
  uint32_t idx, family, port, bport, mark, timeout_ms;
  CHECK(napi_get_value_uint32(env, args[1], &idx));
  napi_value *argv = args + 1; /* argv[1..8]: the target */
  CHECK(napi_get_value_uint32(env, argv[1], &family));
  CHECK(napi_get_value_uint32(env, argv[3], &port));
  CHECK(napi_get_value_uint32(env, argv[5], &bport));
  CHECK(napi_get_value_uint32(env, argv[7], &mark));
  CHECK(napi_get_value_uint32(env, argv[8], &timeout_ms));
  if (idx > e->nslots || (idx < e->nslots && e->slots[idx].fd >= 0)) {
    napi_throw_range_error(env, NULL, "tcp_engine: slot not free");
    return NULL;
  }
  if (idx == e->nslots && e->nslots == e->slots_cap) {
    uint32_t cap = e->slots_cap ? e->slots_cap * 2 : 64;
    slot_t *s = realloc(e->slots, cap * sizeof *s);
    if (!s) {
      napi_throw_error(env, "ENOMEM", "tcp_engine: out of memory");
      return NULL;
    }
    e->slots = s;
    e->slots_cap = cap;
  }
  slot_t *s = &e->slots[idx];
  uint32_t gen = idx < e->nslots ? s->gen : 0, sgen = idx < e->nslots ? s->sgen + 1 : 0;
  memset(s, 0, sizeof *s);
  s->fd = -1;
  s->gen = gen;
  s->sgen = sgen;
  if (parse_addr(env, argv[2], (int)family, port, &s->dst, &s->dst_len) != 0) {
    napi_throw_type_error(env, NULL, "tcp_engine: bad address");
    return NULL;
  }
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[4], &t));
  if (t == napi_string) {
    if (parse_addr(env, argv[4], (int)family, bport, &s->src, &s->src_len) != 0) {
      napi_throw_type_error(env, NULL, "tcp_engine: bad bind address");
      return NULL;
    }
  } else if (bport) {
    struct sockaddr_storage any;
    memset(&any, 0, sizeof any);
    if (family == 6) {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)&any;
      a->sin6_family = AF_INET6;
      a->sin6_port = htons((uint16_t)bport);
      s->src_len = sizeof *a;
    } else {
      struct sockaddr_in *a = (struct sockaddr_in *)&any;
      a->sin_family = AF_INET;
      a->sin_port = htons((uint16_t)bport);
      s->src_len = sizeof *a;
    }
    s->src = any;
  }
  CHECK(napi_typeof(env, argv[6], &t));
  if (t == napi_string) {
    size_t n;
    CHECK(napi_get_value_string_utf8(env, argv[6], s->ifname, sizeof s->ifname, &n));
  }
  s->mark = mark;
  s->timeout_us = timeout_ms * 1000u;
  int q = dq_for(e, s->timeout_us);
  if (q < 0) {
    napi_throw_error(env, "ENOMEM", "tcp_engine: out of memory");
    return NULL;
  }
  s->dq = (uint32_t)q;
  if (idx == e->nslots) e->nslots++;
  CHECK(napi_create_uint32(env, idx, &out));
  return out;
}

/* The call's arguments (`want` of them): argv[0] the engine, argv[1] one of its slots. NULL: thrown. */
static engine_t *engine_slot(napi_env env, napi_callback_info info, size_t want, napi_value *argv, uint32_t *idx) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, NULL, "tcp_engine: missing arguments");
    return NULL;
  }
  engine_t *e = unwrap(env, argv[0]);
  if (!e) return NULL;
  if (napi_get_value_uint32(env, argv[1], idx) != napi_ok || *idx >= e->nslots) {
    napi_throw_range_error(env, NULL, "tcp_engine: no such slot");
    return NULL;
  }
  return e;
}

static napi_value js_start(napi_env env, napi_callback_info info) {
  napi_value argv[2], out;
  uint32_t idx;
  engine_t *e = engine_slot(env, info, 2, argv, &idx);
  if (!e) return NULL;
  /* A one-shot attempt replaces the slot's schedule: its result always goes to JavaScript. */
  e->slots[idx].sgen++;
  e->slots[idx].routine_us = 0;
  int err = start_attempt(e, idx, now_us());
  arm_timer(e);
  CHECK(napi_create_int32(env, err, &out));
  return out;
}

static napi_value js_arm(napi_env env, napi_callback_info info) {
  napi_value argv[4], out;
  uint32_t idx, routine_ms;
  double delay_ms;
  engine_t *e = engine_slot(env, info, 4, argv, &idx);
  if (!e) return NULL;
  CHECK(napi_get_value_double(env, argv[2], &delay_ms));
  CHECK(napi_get_value_uint32(env, argv[3], &routine_ms));
  if (!(delay_ms > 0)) delay_ms = 0;
  e->slots[idx].routine_us = routine_ms * 1000u;
  int err = schedule(e, idx, now_us() + (uint64_t)(delay_ms * 1000));
  arm_timer(e);
  CHECK(napi_create_int32(env, err, &out));
  return out;
}

/* heapLimit(engine, n): the due-time heap refuses to hold more than n entries (n < 0: no limit). For tests
 * of an allocation failure, which cannot be caused on demand. */
static napi_value js_heap_limit(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t argc = 2;
  int32_t n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = argc == 2 ? unwrap(env, argv[0]) : NULL;
  if (!e) return NULL;
  CHECK(napi_get_value_int32(env, argv[1], &n));
  e->heap_limit = n < 0 ? 0 : (uint32_t)n + 1;
  return NULL;
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  napi_value argv[2], out, v;
  uint32_t idx;
  engine_t *e = engine_slot(env, info, 2, argv, &idx);
  if (!e) return NULL;
  CHECK(napi_create_array_with_length(env, 2, &out));
  CHECK(napi_create_double(env, e->slots[idx].routine_checks, &v));
  CHECK(napi_set_element(env, out, 0, v));
  CHECK(napi_create_uint32(env, e->slots[idx].last_us, &v));
  CHECK(napi_set_element(env, out, 1, v));
  return out;
}

static napi_value js_cancel(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  uint32_t idx;
  engine_t *e = engine_slot(env, info, 2, argv, &idx);
  if (!e) return NULL;
  e->slots[idx].sgen++;
  if (e->slots[idx].fd >= 0) end_attempt(e, &e->slots[idx]);
  ref_update(e);
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = NULL;
  CHECK(napi_get_value_external(env, argv[0], (void **)&e));
  if (e && !e->closed) {
    napi_remove_env_cleanup_hook(env, on_env_cleanup, e);
    shut(e);
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"target", NULL, js_target, NULL, NULL, NULL, napi_enumerable, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"arm", NULL, js_arm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"heapLimit", NULL, js_heap_limit, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"cancel", NULL, js_cancel, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
