/* Unit tests for tests/support/linearize.c, the linearizability checker of
 * the chaos tests, at scale: random histories from a simulated linearizable
 * store (they must pass) with one impossible read injected (they must fail,
 * and the witness must hold that read), tiny random histories with arbitrary
 * replies against a brute-force checker written here (same verdict; a witness
 * the brute force also rejects), chaos-sized histories, budgets, and the text
 * format's round trip. Hand-made histories and load errors are in
 * test_linearize_cases.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "support/lintest.h"

/* ---- the simulated store ------------------------------------------------- */

/* A store that is linearizable by construction: each op gets a point inside
 * its interval (an unknown-outcome op: any point after its invocation, even
 * after the client gave up, or none), and replies are computed by applying
 * the ops in point order to a real register per key. */
typedef struct sim {
    int clients, keys, ops;
    int max_gap, max_dur; /* us between a client's ops, and of an op */
    int long_every;       /* one op in long_every takes long_dur (0: never) */
    int long_dur;
    int unknown_pm; /* per mille of ops with an unknown outcome */
    int w_get, w_set, w_del, w_incr;
    int incr_keys;     /* the last incr_keys keys get INCR and GET only */
    bool small_values; /* values from a small set (duplicates, integers) */
} sim_t;

typedef struct simop {
    int client, key;
    lin_kind_t kind;
    char arg[24];
    int64_t inv, ret, point;
    bool unknown, effect;
    /* the reply */
    bool nil, err;
    char val[24];
    int64_t num;
} simop_t;

typedef struct reg {
    bool nil;
    char v[24];
} reg_t;

static int cmp_point(const void *a, const void *b)
{
    const simop_t *x = *(simop_t *const *)a, *y = *(simop_t *const *)b;
    if (x->point != y->point) return x->point < y->point ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* What INCR counts with (Redis's string2ll), written again here so the test
 * does not trust the checker's copy. */
static bool as_int(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 20) return false;
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return true;
    }
    const char *d = s[0] == '-' ? s + 1 : s;
    if (*d < '1' || *d > '9') return false;
    for (const char *p = d; *p; p++)
        if (*p < '0' || *p > '9') return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

/* Applies op o to register r; the reply goes into o when record. */
static void reg_apply(reg_t *r, simop_t *o, bool record)
{
    int64_t c = 0;
    switch (o->kind) {
    case LIN_GET:
        if (record) {
            o->nil = r->nil;
            snprintf(o->val, sizeof(o->val), "%s", r->v);
        }
        break;
    case LIN_SET:
        r->nil = false;
        snprintf(r->v, sizeof(r->v), "%s", o->arg);
        break;
    case LIN_DEL:
        if (record) o->num = r->nil ? 0 : 1;
        r->nil = true;
        r->v[0] = '\0';
        break;
    case LIN_INCR:
        if (!r->nil && (!as_int(r->v, &c) || c == INT64_MAX)) {
            if (record) o->err = true;
            break;
        }
        c++;
        if (record) o->num = c;
        r->nil = false;
        snprintf(r->v, sizeof(r->v), "%" PRId64, c);
        break;
    }
}

static lin_history_t *simulate(const sim_t *p)
{
    simop_t *ops = calloc((size_t)p->ops, sizeof(simop_t));
    simop_t **order = calloc((size_t)p->ops, sizeof(simop_t *));
    int64_t *clock = calloc((size_t)p->clients, sizeof(int64_t));
    int *seq = calloc((size_t)p->clients, sizeof(int));
    assert_true(ops && order && clock && seq);
    for (int c = 0; c < p->clients; c++)
        clock[c] = (int64_t)below((uint64_t)p->max_dur + 1);
    int wsum = p->w_get + p->w_set + p->w_del + p->w_incr;
    static const char *const small[] = {"a", "b", "1", "2", "10"};
    for (int i = 0; i < p->ops; i++) {
        int c = 0; /* the client that is free first */
        for (int k = 1; k < p->clients; k++)
            if (clock[k] < clock[c]) c = k;
        simop_t *o = &ops[i];
        o->client = c;
        o->key = (int)below((uint64_t)p->keys);
        bool counter = o->key >= p->keys - p->incr_keys;
        int w = (int)below((uint64_t)wsum);
        if (counter)
            o->kind = below(3) ? LIN_INCR : LIN_GET;
        else if (w < p->w_get)
            o->kind = LIN_GET;
        else if (w < p->w_get + p->w_set)
            o->kind = LIN_SET;
        else if (w < p->w_get + p->w_set + p->w_del)
            o->kind = LIN_DEL;
        else
            o->kind = LIN_INCR;
        if (o->kind == LIN_SET) {
            if (p->small_values)
                snprintf(o->arg, sizeof(o->arg), "%s", small[below(5)]);
            else
                snprintf(o->arg, sizeof(o->arg), "c%d-%d", c, seq[c]++);
        }
        o->inv = clock[c] + (int64_t)below((uint64_t)p->max_gap + 1);
        int64_t dur = 1 + (int64_t)below((uint64_t)p->max_dur);
        if (p->long_every && below((uint64_t)p->long_every) == 0) dur = p->long_dur;
        o->ret = o->inv + dur;
        o->unknown = below(1000) < (uint64_t)p->unknown_pm;
        o->effect = !o->unknown || below(2);
        o->point = o->inv + (int64_t)below((uint64_t)(o->unknown ? 3 * dur : dur) + 1);
        clock[c] = o->ret;
        order[i] = o;
    }
    qsort(order, (size_t)p->ops, sizeof(simop_t *), cmp_point);
    reg_t *regs = calloc((size_t)p->keys, sizeof(reg_t));
    assert_non_null(regs);
    for (int k = 0; k < p->keys; k++)
        regs[k].nil = true;
    for (int i = 0; i < p->ops; i++)
        if (order[i]->effect) reg_apply(&regs[order[i]->key], order[i], true);
    lin_history_t *h = lin_history_new();
    for (int i = 0; i < p->ops; i++) {
        const simop_t *o = &ops[i];
        char key[16];
        snprintf(key, sizeof(key), "key%d", o->key);
        lin_op_t op = {.client = o->client,
                       .kind = o->kind,
                       .key = key,
                       .key_len = strlen(key),
                       .invoke_us = o->inv,
                       .return_us = o->ret,
                       .outcome_unknown = o->unknown,
                       .nil = o->nil,
                       .error = o->err,
                       .num = o->num};
        if (o->kind == LIN_SET) {
            op.arg = (char *)o->arg;
            op.arg_len = strlen(o->arg);
        }
        if (o->kind == LIN_GET && !o->nil) {
            op.val = (char *)o->val;
            op.val_len = strlen(o->val);
        }
        lin_history_add(h, &op);
    }
    free(ops);
    free(order);
    free(clock);
    free(seq);
    free(regs);
    return h;
}

static bool same_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && memcmp(a, b, an) == 0;
}

static bool same_key(const lin_op_t *a, const lin_op_t *b)
{
    return same_bytes(a->key, a->key_len, b->key, b->key_len);
}

/* Makes one known GET read a value it provably cannot read, and returns its
 * index (SIZE_MAX if the history has none to mutate). The value is written
 * by exactly one SET s1 of the key, cannot be made by INCR, and either s1
 * was invoked after the GET returned (a read from the future) or a known
 * write s2 (SET of another value, DEL, INCR that counted) lies entirely
 * between s1 and the GET (a stale read): the GET's predecessor in any
 * linearization cannot be s1. */
static size_t mutate(lin_history_t *h)
{
    size_t start = below(h->n);
    for (size_t t = 0; t < h->n; t++) {
        size_t g = (start + t) % h->n;
        lin_op_t *go = &h->ops[g];
        if (go->kind != LIN_GET || go->outcome_unknown) continue;
        bool incr = false;
        for (size_t k = 0; k < h->n; k++)
            if (h->ops[k].kind == LIN_INCR && same_key(&h->ops[k], go)) incr = true;
        size_t cands[64], nc = 0;
        for (size_t s1 = 0; s1 < h->n && nc < 64; s1++) {
            const lin_op_t *a = &h->ops[s1];
            if (a->kind != LIN_SET || !same_key(a, go)) continue;
            if (!go->nil && same_bytes(a->arg, a->arg_len, go->val, go->val_len)) continue;
            int64_t dummy;
            if (incr && as_int(a->arg, &dummy)) continue;
            size_t writers = 0;
            for (size_t k = 0; k < h->n; k++)
                if (h->ops[k].kind == LIN_SET && same_key(&h->ops[k], go) &&
                    same_bytes(h->ops[k].arg, h->ops[k].arg_len, a->arg, a->arg_len))
                    writers++;
            if (writers != 1) continue;
            bool ok = a->invoke_us > go->return_us;
            for (size_t s2 = 0; s2 < h->n && !ok && !a->outcome_unknown; s2++) {
                const lin_op_t *b = &h->ops[s2];
                if (b->outcome_unknown || !same_key(b, go) || b->kind == LIN_GET) continue;
                if (b->kind == LIN_INCR && b->error) continue;
                if (b->kind == LIN_SET && same_bytes(b->arg, b->arg_len, a->arg, a->arg_len))
                    continue;
                ok = a->return_us < b->invoke_us && b->return_us < go->invoke_us;
            }
            if (ok) cands[nc++] = s1;
        }
        if (!nc) continue;
        const lin_op_t *a = &h->ops[cands[below(nc)]];
        free(go->val);
        go->val = malloc(a->arg_len + 1);
        assert_non_null(go->val);
        memcpy(go->val, a->arg, a->arg_len + 1);
        go->val_len = a->arg_len;
        go->nil = false;
        return g;
    }
    return SIZE_MAX;
}

/* Random linearizable histories pass; one impossible read makes them fail,
 * the witness holds that read and is itself rejected. */
static void test_random_simulated(void **state)
{
    int passes = 0, mutated = 0;
    int64_t t0 = mono_us();
    for (int round = 0; round < 3000; round++) {
        sim_t p = {.clients = 2 + (int)below(5),
                   .keys = 1 + (int)below(3),
                   .ops = 5 + (int)below(60),
                   .max_gap = (int)below(40),
                   .max_dur = 1 + (int)below(60),
                   .long_every = below(3) ? 0 : 10,
                   .long_dur = 200,
                   .unknown_pm = below(3) ? 0 : (int)below(300),
                   .w_get = 4,
                   .w_set = 3,
                   .w_del = (int)below(2),
                   .w_incr = below(4) ? 0 : 1,
                   .incr_keys = below(4) ? 0 : 1,
                   .small_values = below(5) == 0};
        if (p.incr_keys >= p.keys) p.incr_keys = 0;
        lin_history_t *h = simulate(&p);
        lin_result_t r;
        lin_check(h, NULL, &r);
        if (r.verdict != LIN_LINEARIZABLE) {
            char path[64];
            snprintf(path, sizeof(path), "/tmp/test_linearize_fail_%d.txt", round);
            lin_history_save(h, path);
            print_message("round %d: %s (saved to %s)\n", round, r.explain, path);
        }
        assert_int_equal(r.verdict, LIN_LINEARIZABLE);
        lin_result_free(&r);
        passes++;

        size_t g = mutate(h);
        if (g != SIZE_MAX) {
            lin_check(h, NULL, &r);
            if (r.verdict != LIN_NOT_LINEARIZABLE) {
                lin_history_save(h, "/tmp/test_linearize_mutated.txt");
                print_message("round %d: mutated #%zu not caught:\n%s", round, g, r.explain);
            }
            assert_int_equal(r.verdict, LIN_NOT_LINEARIZABLE);
            assert_true(witness_has(&r, g));
            lin_history_t *w = witness_history(h, &r);
            lin_result_t wr;
            assert_int_equal(lin_check(w, NULL, &wr), LIN_NOT_LINEARIZABLE);
            lin_result_free(&wr);
            lin_history_free(w);
            lin_result_free(&r);
            mutated++;
        }
        lin_history_free(h);
    }
    print_message("%d random histories linearizable, %d mutated ones caught, %" PRId64 " ms\n",
                  passes, mutated, (mono_us() - t0) / 1000);
    assert_true(mutated > 1500);
}

/* ---- against brute force ------------------------------------------------- */

/* The definition, searched exhaustively: some order of all known ops and any
 * subset of the unknown ones, respecting real time (a before b when a
 * returned before b was invoked), in which every known reply is the model's.
 * Keys share one search here, so splitting by key is checked too. */
typedef struct brute {
    const lin_history_t *h;
    const size_t *ops;
    size_t n;
    bool placed[16];
    reg_t reg[4]; /* by key index */
    int key[16];
} brute_t;

static bool brute_step(brute_t *b, size_t x)
{
    const lin_op_t *o = &b->h->ops[b->ops[x]];
    reg_t *r = &b->reg[b->key[x]];
    simop_t so = {.kind = o->kind};
    if (o->kind == LIN_SET) snprintf(so.arg, sizeof(so.arg), "%.*s", (int)o->arg_len, o->arg);
    reg_apply(r, &so, true);
    if (o->outcome_unknown) return true;
    switch (o->kind) {
    case LIN_GET:
        if (o->nil != so.nil) return false;
        return o->nil || same_bytes(o->val, o->val_len, so.val, strlen(so.val));
    case LIN_SET:
        return true;
    case LIN_DEL:
        return o->num == so.num;
    case LIN_INCR:
        return o->error ? so.err : !so.err && o->num == so.num;
    }
    return false;
}

static bool brute_search(brute_t *b)
{
    bool known_left = false;
    for (size_t x = 0; x < b->n; x++)
        if (!b->placed[x] && !b->h->ops[b->ops[x]].outcome_unknown) known_left = true;
    if (!known_left) return true;
    for (size_t x = 0; x < b->n; x++) {
        if (b->placed[x]) continue;
        const lin_op_t *o = &b->h->ops[b->ops[x]];
        bool minimal = true;
        for (size_t y = 0; y < b->n && minimal; y++) {
            const lin_op_t *q = &b->h->ops[b->ops[y]];
            if (!b->placed[y] && y != x && !q->outcome_unknown && q->return_us < o->invoke_us)
                minimal = false;
        }
        if (!minimal) continue;
        reg_t saved = b->reg[b->key[x]];
        if (brute_step(b, x)) {
            b->placed[x] = true;
            if (brute_search(b)) return true;
            b->placed[x] = false;
        }
        b->reg[b->key[x]] = saved;
    }
    return false;
}

static bool brute_linearizable(const lin_history_t *h, const size_t *ops, size_t n)
{
    brute_t b = {.h = h, .ops = ops, .n = n};
    assert_true(n <= 16);
    for (int k = 0; k < 4; k++)
        b.reg[k].nil = true;
    for (size_t x = 0; x < n; x++) {
        const lin_op_t *o = &h->ops[ops[x]];
        b.key[x] = o->key[o->key_len - 1] - '0';
    }
    return brute_search(&b);
}

/* Arbitrary replies, lots of overlap and touching times, small alphabets so
 * that values repeat and count: both verdicts are common. */
static lin_history_t *tiny_random(size_t n, int keys)
{
    static const char *const vals[] = {"a", "b", "1", "2"};
    static const char *const reads[] = {NULL, "a", "b", "1", "2", "3"};
    lin_history_t *h = lin_history_new();
    for (size_t i = 0; i < n; i++) {
        char key[4] = {'k', (char)('0' + below((uint64_t)keys)), 0, 0};
        int64_t inv = (int64_t)below(20), ret = inv + (int64_t)below(9);
        size_t idx = 0;
        switch (below(4)) {
        case 0:
            idx = lin_get(h, (int)i, key, reads[below(6)], inv, ret);
            break;
        case 1:
            idx = lin_set(h, (int)i, key, vals[below(4)], inv, ret);
            break;
        case 2:
            idx = below(5) ? lin_incr(h, (int)i, key, 1 + (int64_t)below(4), inv, ret)
                           : lin_incr_error(h, (int)i, key, inv, ret);
            break;
        default:
            idx = lin_del(h, (int)i, key, (int64_t)below(2), inv, ret);
            break;
        }
        if (below(5) == 0) lin_unknown(h, idx);
    }
    return h;
}

static void test_brute_force(void **state)
{
    int counts[3] = {0};
    for (int round = 0; round < 6000; round++) {
        size_t n = 1 + below(round % 4 == 0 ? 8 : 7);
        lin_history_t *h = tiny_random(n, below(3) ? 1 : 2);
        size_t all[16];
        for (size_t i = 0; i < n; i++)
            all[i] = i;
        bool want = brute_linearizable(h, all, n);
        lin_result_t r;
        lin_check(h, NULL, &r);
        if (r.verdict != (want ? LIN_LINEARIZABLE : LIN_NOT_LINEARIZABLE)) {
            lin_history_save(h, "/tmp/test_linearize_brute.txt");
            print_message("round %d: brute force says %s:\n%s", round,
                          want ? "linearizable" : "not linearizable", r.explain);
        }
        assert_int_equal(r.verdict, want ? LIN_LINEARIZABLE : LIN_NOT_LINEARIZABLE);
        counts[r.verdict]++;
        if (!want) {
            /* the witness is one key's ops, and not linearizable by itself */
            assert_true(r.n_witness >= 1 && r.n_witness <= n);
            for (size_t k = 1; k < r.n_witness; k++)
                assert_true(same_key(&h->ops[r.witness[k]], &h->ops[r.witness[0]]));
            assert_false(brute_linearizable(h, r.witness, r.n_witness));
        }
        lin_result_free(&r);
        lin_history_free(h);
    }
    print_message("brute force agreed: %d linearizable, %d not\n", counts[LIN_LINEARIZABLE],
                  counts[LIN_NOT_LINEARIZABLE]);
    assert_true(counts[LIN_LINEARIZABLE] > 1000);
    assert_true(counts[LIN_NOT_LINEARIZABLE] > 1000);
}

/* ---- size ---------------------------------------------------------------- */

static void check_big(const sim_t *p, const char *what)
{
    lin_history_t *h = simulate(p);
    size_t unknown = 0;
    for (size_t i = 0; i < h->n; i++)
        unknown += h->ops[i].outcome_unknown;
    int64_t t0 = mono_us();
    lin_result_t r;
    lin_check(h, NULL, &r);
    int64_t took = mono_us() - t0;
    print_message("%s: %zu ops, %zu outcome unknown, %s in %" PRId64 " ms\n%s", what, h->n, unknown,
                  lin_verdict_name(r.verdict), took / 1000, r.explain);
    assert_int_equal(r.verdict, LIN_LINEARIZABLE);
    lin_result_free(&r);
    lin_history_free(h);
}

/* The chaos test's size: 20,000 ops, 5 keys, 10 clients, 1% unknown
 * outcomes; latencies of up to 2 ms and a stall of 50 ms in every 500. */
static void test_chaos_sized(void **state)
{
    sim_t p = {.clients = 10,
               .keys = 5,
               .ops = 20000,
               .max_gap = 300,
               .max_dur = 2000,
               .long_every = 500,
               .long_dur = 50000,
               .unknown_pm = 10,
               .w_get = 5,
               .w_set = 4,
               .w_del = 1,
               .incr_keys = 1};
    check_big(&p, "5 keys (one a counter), GET/SET/DEL/INCR");
    p.w_del = 0;
    p.incr_keys = 0;
    check_big(&p, "5 keys, GET/SET");
    p.keys = 1;
    p.w_del = 1;
    check_big(&p, "1 hot key, GET/SET/DEL");
    p.incr_keys = 1;
    check_big(&p, "1 hot counter, INCR/GET");
}

/* ---- budgets ------------------------------------------------------------- */

static void test_budget(void **state)
{
    sim_t p = {.clients = 5,
               .keys = 2,
               .ops = 2000,
               .max_gap = 50,
               .max_dur = 200,
               .w_get = 1,
               .w_set = 1};
    lin_history_t *h = simulate(&p);
    lin_options_t o = {.max_steps = 50};
    lin_result_t r;
    assert_int_equal(lin_check(h, &o, &r), LIN_UNKNOWN);
    assert_int_equal(r.keys[0].verdict, LIN_UNKNOWN);
    assert_non_null(strstr(r.explain, "the step budget ran out"));
    assert_non_null(strstr(r.explain, "The longest linearization found places"));
    lin_result_free(&r);
    o = (lin_options_t){.max_memory = 1024};
    assert_int_equal(lin_check(h, &o, &r), LIN_UNKNOWN);
    assert_non_null(strstr(r.explain, "the memory budget ran out"));
    lin_result_free(&r);
    /* a violation on one key beats a budget on another */
    lin_get(h, 1, "zz", "never", 0, 1);
    o = (lin_options_t){.max_steps = 50};
    assert_int_equal(lin_check(h, &o, &r), LIN_NOT_LINEARIZABLE);
    assert_non_null(strstr(r.explain, "key \"zz\" is NOT linearizable"));
    lin_result_free(&r);
    /* without shrinking the witness is the whole key */
    o = (lin_options_t){.no_shrink = true};
    assert_int_equal(lin_check(h, &o, &r), LIN_NOT_LINEARIZABLE);
    assert_int_equal(r.n_witness, 1);
    assert_false(r.witness_minimal);
    lin_result_free(&r);
    lin_history_free(h);
}

/* A violation deep in a long history is shrunk to the few ops involved,
 * also on keys with DEL (whose removal rules are the narrowest). */
static void test_shrink_long(void **state)
{
    for (int del = 0; del < 2; del++) {
        for (int round = 0; round < 3; round++) {
            sim_t p = {.clients = 6,
                       .keys = 1,
                       .ops = 3000,
                       .max_gap = 50,
                       .max_dur = 300,
                       .long_every = 300,
                       .long_dur = 5000,
                       .unknown_pm = 10,
                       .w_get = 5,
                       .w_set = 4,
                       .w_del = del};
            lin_history_t *h = simulate(&p);
            size_t g = mutate(h);
            assert_true(g != SIZE_MAX);
            lin_result_t r;
            assert_int_equal(lin_check(h, NULL, &r), LIN_NOT_LINEARIZABLE);
            if (r.n_witness > 3 || !r.witness_minimal) print_message("%s", r.explain);
            assert_true(witness_has(&r, g));
            assert_true(r.n_witness <= 3);
            assert_true(r.witness_minimal);
            assert_true(strstr(r.explain, "(a stale read)") ||
                        strstr(r.explain, "written only by ops invoked after it returned"));
            lin_result_free(&r);
            lin_history_free(h);
        }
    }
}

/* A lost increment on a hot counter with unknown INCRs is found fast (the
 * register only grows), and the report says which INCR came first. */
static void test_counter_violation(void **state)
{
    sim_t p = {.clients = 10,
               .keys = 1,
               .ops = 20000,
               .max_gap = 300,
               .max_dur = 2000,
               .long_every = 500,
               .long_dur = 50000,
               .unknown_pm = 10,
               .w_get = 1,
               .incr_keys = 1};
    lin_history_t *h = simulate(&p);
    size_t late = SIZE_MAX, early = SIZE_MAX;
    for (size_t i = h->n - 3000; i-- > 0 && late == SIZE_MAX;)
        if (h->ops[i].kind == LIN_INCR && !h->ops[i].outcome_unknown) late = i;
    for (size_t i = late; i-- > 0 && early == SIZE_MAX;)
        if (h->ops[i].kind == LIN_INCR && !h->ops[i].outcome_unknown &&
            h->ops[i].return_us < h->ops[late].invoke_us - 20000)
            early = i;
    assert_true(late != SIZE_MAX && early != SIZE_MAX);
    h->ops[late].num = h->ops[early].num;
    int64_t t0 = mono_us();
    lin_result_t r;
    assert_int_equal(lin_check(h, NULL, &r), LIN_NOT_LINEARIZABLE);
    print_message("lost increment found in %" PRId64 " ms (%" PRIu64 " steps)\n",
                  (mono_us() - t0) / 1000, r.keys[0].steps);
    assert_true(witness_has(&r, late));
    assert_non_null(strstr(r.explain, "a counter only grows"));
    lin_result_free(&r);
    lin_history_free(h);
}

/* ---- the text format ----------------------------------------------------- */


static void assert_same_op(const lin_op_t *a, const lin_op_t *b)
{
    assert_int_equal(a->client, b->client);
    assert_int_equal(a->kind, b->kind);
    assert_true(same_bytes(a->key, a->key_len, b->key, b->key_len));
    assert_int_equal(a->invoke_us, b->invoke_us);
    assert_int_equal(a->return_us, b->return_us);
    assert_int_equal(a->outcome_unknown, b->outcome_unknown);
    if (a->kind == LIN_SET) assert_true(same_bytes(a->arg, a->arg_len, b->arg, b->arg_len));
    if (a->outcome_unknown) return;
    switch (a->kind) {
    case LIN_GET:
        assert_int_equal(a->nil, b->nil);
        if (!a->nil) assert_true(same_bytes(a->val, a->val_len, b->val, b->val_len));
        break;
    case LIN_SET:
        break;
    case LIN_INCR:
        assert_int_equal(a->error, b->error);
        if (!a->error) assert_int_equal(a->num, b->num);
        break;
    case LIN_DEL:
        assert_int_equal(a->num, b->num);
        break;
    }
}

static void test_save_load(void **state)
{
    sim_t p = {.clients = 4,
               .keys = 3,
               .ops = 500,
               .max_gap = 20,
               .max_dur = 50,
               .unknown_pm = 50,
               .w_get = 3,
               .w_set = 2,
               .w_del = 1,
               .w_incr = 1,
               .incr_keys = 1};
    lin_history_t *h = simulate(&p);
    lin_op_t o = {.client = -7,
                  .kind = LIN_SET,
                  .key = "a \"b\"\\\n\0\x7f",
                  .key_len = 9,
                  .arg = "",
                  .arg_len = 0,
                  .invoke_us = -5,
                  .return_us = INT64_MAX};
    lin_history_add(h, &o);
    lin_get(h, 3, "", "", 1, 2);
    lin_incr(h, 3, "n", INT64_MIN, 1, 2);
    lin_op_t u = {.client = 3,
                  .kind = LIN_GET,
                  .key = "n",
                  .key_len = 1,
                  .val = "x",
                  .val_len = 1,
                  .invoke_us = 10,
                  .return_us = 5,
                  .outcome_unknown = true};
    lin_history_add(h, &u); /* gave up "before" it began: allowed, the time is informational */
    char path[64];
    tmp_path(path, sizeof(path));
    assert_int_equal(lin_history_save(h, path), 0);
    char err[256];
    lin_history_t *back = lin_history_load(path, err, sizeof(err));
    if (!back) print_message("%s\n", err);
    assert_non_null(back);
    assert_int_equal(back->n, h->n);
    for (size_t i = 0; i < h->n; i++)
        assert_same_op(&h->ops[i], &back->ops[i]);
    lin_result_t r1, r2;
    lin_check(h, NULL, &r1);
    lin_check(back, NULL, &r2);
    assert_int_equal(r1.verdict, r2.verdict);
    lin_result_free(&r1);
    lin_result_free(&r2);
    /* op #i is on line i + 2 */
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    for (int i = 0; i < 3; i++)
        assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    char want[64];
    snprintf(want, sizeof(want), "%d %" PRId64 " %" PRId64 " ", h->ops[1].client,
             h->ops[1].invoke_us, h->ops[1].return_us);
    assert_memory_equal(line, want, strlen(want));
    lin_history_free(back);
    lin_history_free(h);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_simulated),
        cmocka_unit_test(test_brute_force),
        cmocka_unit_test(test_chaos_sized),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_shrink_long),
        cmocka_unit_test(test_counter_violation),
        cmocka_unit_test(test_save_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
