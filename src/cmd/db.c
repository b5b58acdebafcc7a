#include "cmd/db.h"

#include <stdlib.h>
#include <string.h>

#define STACK_KEY 256

static const char META_APPLIED[] = "applied";
static const char META_NKEYS[] = "nkeys";
static const char META_NEXPIRES[] = "nexpires";
static const char META_VERSION[] = "version";

static uint64_t meta_u64(store_txn_t *t, const char *name, size_t len)
{
    char *v;
    size_t vlen;
    uint64_t r = 0;
    if (store_get(t, CF_META, name, len, &v, &vlen) == 1) {
        if (vlen == 8) r = enc_get_u64(v);
        store_free(v);
    }
    return r;
}

/* The counters live in the state machine's own meta CF, next to the data.
 * A load (at start, after a snapshot's install) may bring another state:
 * a new epoch invalidates what was cached about the old one. */
void db_load(db_t *db, store_t *s)
{
    static uint64_t epochs;
    store_txn_t *t = store_txn_begin(s, false);
    db->store = s;
    db->epoch = ++epochs;
    db->exp_floor_known = false;
    db->applied = meta_u64(t, META_APPLIED, sizeof(META_APPLIED) - 1);
    db->nkeys = (int64_t)meta_u64(t, META_NKEYS, sizeof(META_NKEYS) - 1);
    db->nexpires = (int64_t)meta_u64(t, META_NEXPIRES, sizeof(META_NEXPIRES) - 1);
    db->version = meta_u64(t, META_VERSION, sizeof(META_VERSION) - 1);
    store_txn_abort(t);
}

/* The counters travel in the same batch as the data they count, so they can
 * never disagree with it after a crash. */
void db_save(db_t *db, store_txn_t *t)
{
    char v[8];
    enc_put_u64(v, db->applied);
    store_put(t, CF_META, META_APPLIED, sizeof(META_APPLIED) - 1, v, 8);
    enc_put_u64(v, (uint64_t)db->nkeys);
    store_put(t, CF_META, META_NKEYS, sizeof(META_NKEYS) - 1, v, 8);
    enc_put_u64(v, (uint64_t)db->nexpires);
    store_put(t, CF_META, META_NEXPIRES, sizeof(META_NEXPIRES) - 1, v, 8);
    enc_put_u64(v, db->version);
    store_put(t, CF_META, META_VERSION, sizeof(META_VERSION) - 1, v, 8);
}

/* Builds a prefixed key in stack storage when it fits, else on the heap. */
static char *keybuf(char *stack, size_t need)
{
    return need <= STACK_KEY ? stack : malloc(need);
}
static void keybuf_free(char *stack, char *p)
{
    if (p != stack) free(p);
}

/* Redis considers a key expired only once the clock has passed its expiry. */
static bool is_expired(const meta_t *m, int64_t now)
{
    return m->expire_ms > 0 && now > m->expire_ms;
}

int db_lookup(cmd_ctx_t *c, const char *key, size_t klen, dbkey_t *out)
{
    char stack[STACK_KEY], *mk = keybuf(stack, klen + 1);
    size_t mklen = enc_meta_key(mk, key, klen);
    memset(out, 0, sizeof(*out));
    int rc = store_get(c->txn, CF_DATA, mk, mklen, &out->raw, &out->rawlen);
    keybuf_free(stack, mk);
    if (rc < 0) {
        reply_error(c->reply, "ERR storage read failed");
        return -1;
    }
    if (rc == 0) return 0;
    if (enc_meta_decode(&out->meta, out->raw, out->rawlen) < 0) {
        db_release(out);
        reply_error(c->reply, "ERR corrupt key metadata");
        return -1;
    }
    if (is_expired(&out->meta, c->now_ms)) {
        if (store_txn_is_write(c->txn)) {
            db_delete(c, key, klen, out);
            c->db->expired++;
        }
        db_release(out);
        return 0;
    }
    return 1;
}

int db_lookup_string(cmd_ctx_t *c, const char *key, size_t klen, dbkey_t *out)
{
    int found = db_lookup(c, key, klen, out);
    if (found > 0 && out->meta.type != OBJ_STRING) {
        reply_error(c->reply, ERR_WRONGTYPE);
        db_release(out);
        return -1;
    }
    return found;
}

void db_release(dbkey_t *k)
{
    if (k->raw) store_free(k->raw);
    memset(k, 0, sizeof(*k));
}

/* Byte order of keys: memcmp, then the shorter first. */
static int key_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int r = memcmp(a, b, al < bl ? al : bl);
    return r ? r : (al > bl) - (al < bl);
}

static void set_exp_floor(db_t *db, const char *k, size_t len)
{
    db->exp_floor_known = len <= sizeof(db->exp_floor);
    if (db->exp_floor_known) memcpy(db->exp_floor, k, db->exp_floor_len = len);
}

static void put_expire_index(cmd_ctx_t *c, const char *key, size_t klen, int64_t exp, bool add)
{
    char stack[STACK_KEY], *ek = keybuf(stack, klen + 9);
    size_t eklen = enc_expire_key(ek, exp, key, klen);
    if (add) {
        store_put(c->txn, CF_DATA, ek, eklen, "", 0);
        if (c->db->exp_floor_known && key_cmp(ek, eklen, c->db->exp_floor, c->db->exp_floor_len) < 0)
            set_exp_floor(c->db, ek, eklen);
    } else
        store_del(c->txn, CF_DATA, ek, eklen);
    keybuf_free(stack, ek);
}

/* Keeps the expiry index and counter in step when a key's expiry changes
 * from old_exp to new_exp (0 meaning none). */
static void move_expire(cmd_ctx_t *c, const char *key, size_t klen, int64_t old_exp, int64_t new_exp)
{
    if (old_exp == new_exp) return;
    if (old_exp) {
        put_expire_index(c, key, klen, old_exp, false);
        c->db->nexpires--;
    }
    if (new_exp) {
        put_expire_index(c, key, klen, new_exp, true);
        c->db->nexpires++;
    }
}

void db_set_string(cmd_ctx_t *c, const char *key, size_t klen, const char *val, size_t vlen,
                   int64_t expire_ms, const dbkey_t *old)
{
    db_set_string_flags(c, key, klen, val, vlen, expire_ms, 0, old);
}

void db_set_string_flags(cmd_ctx_t *c, const char *key, size_t klen, const char *val, size_t vlen,
                         int64_t expire_ms, uint8_t flags, const dbkey_t *old)
{
    char stack[STACK_KEY], *mk = keybuf(stack, klen + 1);
    size_t mklen = enc_meta_key(mk, key, klen);
    char *rec;
    size_t reclen = enc_meta_encode_string(&rec, expire_ms, val, vlen);
    rec[1] = (char)flags;
    store_put(c->txn, CF_DATA, mk, mklen, rec, reclen);
    free(rec);
    keybuf_free(stack, mk);
    bool existed = old && old->meta.type != OBJ_NONE;
    if (!existed) c->db->nkeys++;
    move_expire(c, key, klen, existed ? old->meta.expire_ms : 0, expire_ms);
}

void db_set_coll(cmd_ctx_t *c, const char *key, size_t klen, obj_type_t type, int64_t expire_ms, uint64_t version,
                 uint64_t size, uint64_t head, uint8_t flags, const dbkey_t *old)
{
    char stack[STACK_KEY], *mk = keybuf(stack, klen + 1);
    size_t mklen = enc_meta_key(mk, key, klen);
    char rec[ENC_META_MAX];
    size_t reclen = enc_meta_encode_coll(rec, type, expire_ms, version, size, head);
    rec[1] = (char)flags;
    store_put(c->txn, CF_DATA, mk, mklen, rec, reclen);
    keybuf_free(stack, mk);
    bool existed = old && old->meta.type != OBJ_NONE;
    if (!existed) c->db->nkeys++;
    move_expire(c, key, klen, existed ? old->meta.expire_ms : 0, expire_ms);
}

/* (index << 16 | seq) alone would repeat if one command created the same
 * key twice; the persisted counter makes every version new, and replicas
 * agree on it because it is part of the state machine. */
uint64_t db_new_version(cmd_ctx_t *c)
{
    uint64_t v = c->index << 16 | c->seq;
    if (v <= c->db->version) v = c->db->version + 1;
    c->db->version = v;
    return v;
}

/* A collection's sub-keys stay behind under the old version, unreachable;
 * deleting a big hash is therefore O(1) here and a compaction filter
 * reclaims the rest (docs/encoding.md). */
void db_delete(cmd_ctx_t *c, const char *key, size_t klen, const dbkey_t *old)
{
    char stack[STACK_KEY], *mk = keybuf(stack, klen + 1);
    size_t mklen = enc_meta_key(mk, key, klen);
    store_del(c->txn, CF_DATA, mk, mklen);
    keybuf_free(stack, mk);
    c->db->nkeys--;
    move_expire(c, key, klen, old->meta.expire_ms, 0);
}

void db_set_expire(cmd_ctx_t *c, const char *key, size_t klen, dbkey_t *k, int64_t expire_ms)
{
    char stack[STACK_KEY], *mk = keybuf(stack, klen + 1);
    size_t mklen = enc_meta_key(mk, key, klen);
    enc_put_u64(k->raw + 2, (uint64_t)expire_ms);
    store_put(c->txn, CF_DATA, mk, mklen, k->raw, k->rawlen);
    keybuf_free(stack, mk);
    move_expire(c, key, klen, k->meta.expire_ms, expire_ms);
    k->meta.expire_ms = expire_ms;
}

void db_flush(cmd_ctx_t *c)
{
    store_clear(c->txn, CF_DATA);
    c->db->nkeys = 0;
    c->db->nexpires = 0;
}

size_t db_scan(cmd_ctx_t *c, const char *start, size_t slen, db_scan_fn *fn, void *ud)
{
    char stack[STACK_KEY], *mk = keybuf(stack, slen + 1);
    size_t mklen = enc_meta_key(mk, start, slen);
    store_iter_t *it = store_iter_new(c->txn, CF_DATA);
    size_t n = 0;
    for (store_iter_seek(it, mk, mklen); store_iter_valid(it); store_iter_next(it)) {
        size_t kl, vl;
        const char *k = store_iter_key(it, &kl);
        if (kl < 1 || k[0] != ENC_META_PREFIX) break;
        const char *v = store_iter_value(it, &vl);
        meta_t m;
        if (enc_meta_decode(&m, v, vl) < 0 || is_expired(&m, c->now_ms)) continue;
        n++;
        if (!fn(ud, k + 1, kl - 1, &m)) break;
    }
    store_iter_free(it);
    keybuf_free(stack, mk);
    return n;
}

size_t db_collect_expired(db_t *db, int64_t now_ms, size_t max, db_expired_fn *fn, void *ud)
{
    store_txn_t *t = store_txn_begin(db->store, false);
    store_iter_t *it = store_iter_new(t, CF_DATA);
    char start = ENC_EXPIRE_PREFIX;
    size_t n = 0;
    if (db->exp_floor_known)
        store_iter_seek(it, db->exp_floor, db->exp_floor_len);
    else
        store_iter_seek(it, &start, 1);
    for (bool first = true; store_iter_valid(it) && n < max; store_iter_next(it), first = false) {
        size_t kl;
        const char *k = store_iter_key(it, &kl);
        if (kl < 9 || k[0] != ENC_EXPIRE_PREFIX) break;
        if (first) set_exp_floor(db, k, kl);
        if ((int64_t)enc_get_u64(k + 1) >= now_ms) break;
        fn(ud, k + 9, kl - 9);
        n++;
    }
    store_iter_free(it);
    store_txn_abort(t);
    return n;
}
