/* A small key-value store (kv.c): the library the zone demonstration
 * (zonedemo) runs in a zone of its own, and kvserver as a server of its
 * own. Keys and values are strings of up to KV_STR - 1 bytes. */
#ifndef KV_H
#define KV_H

#include <stdint.h>

#define KV_STR   32
#define KV_SLOTS 16

/* Stores value under key: 0, or 1 when full or too long. */
uint64_t kv_put(const char *key, const char *value);
/* The value stored under key (the library's own copy), or NULL. */
const char *kv_get(const char *key);
/* A faulty call: copies the value of key into out, the caller's buffer. */
uint64_t kv_get_into(const char *key, char *out);
/* Does nothing but add (the cost of a call itself). */
uint64_t kv_nop(uint64_t a, uint64_t b, uint64_t c);
/* Calls fn(a): a callback, which in zonedemo is a call gate entered from
 * inside a zone call (refused: one call in flight). */
uint64_t kv_callback(uint64_t (*fn)(uint64_t), uint64_t a);

/* kvserver's protocol (labels; words in MR1..MR3): KV_NOP returns
 * kv_nop(MR1, MR2, MR3) in MR1; KV_PKRU returns the server thread's PKRU
 * in MR1 (0 without PKU). */
#define KV_NOP  0x6b01
#define KV_PKRU 0x6b02

#endif
