/* CRC-32C (Castagnoli), used to checksum log entries and snapshot chunks. */
#ifndef REDRAFT_UTIL_CRC32C_H
#define REDRAFT_UTIL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc (start with 0) over p[0..n). */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);
/* The same without the CPU's crc32 instruction (what crc32c falls back to;
 * tests compare the two). */
uint32_t crc32c_portable(uint32_t crc, const void *p, size_t n);

#endif
