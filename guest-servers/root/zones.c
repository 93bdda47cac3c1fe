/* Zones of a program (shared/mkvm/zone.h, docs/zones.md): the PKRU values
 * of its zones and the code of its gate page. The pager's side (keys of
 * pages, the code check, registration with the kernel, faults) is in
 * programs.c. */
#include <mkvm/zone.h>
#include "programs.h"

#define AD(k) (1u << (2 * (k)))
#define WD(k) (2u << (2 * (k)))

/* Keys 1..nzones are the zones', MKVM_ZONE_GATE_KEY the gates'. */
static uint32_t pkru_except(unsigned nzones, unsigned writable_key)
{
	uint32_t v = 0;
	for (unsigned k = 1; k < 16; k++) {
		bool known = k <= nzones || k == MKVM_ZONE_GATE_KEY;
		if (k != writable_key)
			v |= known ? WD(k) : AD(k) | WD(k);
	}
	return v;
}

uint32_t zone_pkru(unsigned z, unsigned nzones) { return pkru_except(nzones, MKVM_ZONE_KEY(z)); }
uint32_t zone_pkru_gate(unsigned nzones) { return pkru_except(nzones, MKVM_ZONE_GATE_KEY); }

extern const uint8_t zgate_call[], zgate_call_end[], zgate_abort[];
extern const uint8_t zgate_kstub[], zgate_kstub_end[], zgate_kabort[], zgate_kabort_end[];

#define KSTUB_SIZE 32           /* entry e's stub at e * KSTUB_SIZE; the abort at 0 */
#define PATCH32 0x11111111u

/* Fills the placeholders of a copied template in order: 32-bit ones take
 * the next of v32, 64-bit ones (two placeholders in a row) the next of
 * v64. */
static void patch(uint8_t *code, size_t len, const uint32_t *v32, const uint64_t *v64)
{
	for (size_t i = 0; i + 4 <= len; i++) {
		uint32_t w;
		memcpy(&w, code + i, 4);
		if (w != PATCH32)
			continue;
		if (i + 8 <= len && !memcmp(code + i, code + i + 4, 4)) {
			memcpy(code + i, v64++, 8);
			i += 7;
		} else {
			memcpy(code + i, v32++, 4);
			i += 3;
		}
	}
}

bool zone_gate_page(uint8_t *page, const uint64_t *fn, const uint8_t *zone, unsigned n, unsigned nzones,
		    bool gates)
{
	size_t klen = (size_t)(zgate_kstub_end - zgate_kstub), glen = (size_t)(zgate_call_end - zgate_call);
	if (klen > KSTUB_SIZE || glen > MKVM_ZONE_GATE(2) - MKVM_ZONE_GATE(1) ||
	    (MKVM_ZONE_MAX_ENTRIES + 1) * KSTUB_SIZE > MKVM_ZONE_GATE(1) - MKVM_ZONE_GATE_VA)
		return false;                   /* the templates outgrew the layout */
	memset(page, 0xcc, 4096);       /* int3 wherever no code is */
	uint32_t g = zone_pkru_gate(nzones), u = zone_pkru(0, nzones);
	if (!gates)
		memcpy(page, zgate_kabort, (size_t)(zgate_kabort_end - zgate_kabort));
	for (unsigned e = 1; e <= n && !gates; e++) {
		memcpy(page + e * KSTUB_SIZE, zgate_kstub, klen);
		patch(page + e * KSTUB_SIZE, klen, NULL, &fn[e - 1]);
	}
	for (unsigned e = 1; e <= n && gates; e++) {
		uint8_t *c = page + (MKVM_ZONE_GATE(e) - MKVM_ZONE_GATE_VA);
		uint32_t t = zone_pkru(zone[e - 1], nzones);
		const uint32_t v32[] = { g, g, t, t, g, g, u, u };
		const uint64_t v64[] = { MKVM_ZONE_STACK_TOP(zone[e - 1]), fn[e - 1] };
		memcpy(c, zgate_call, glen);
		patch(c, glen, v32, v64);
	}
	return true;
}

uint64_t zone_abort_ip(bool in_gate)
{
	return in_gate ? MKVM_ZONE_GATE(1) + (uint64_t)(zgate_abort - zgate_call) : MKVM_ZONE_GATE_VA;
}

uint64_t zone_kstub_ip(unsigned e) { return MKVM_ZONE_GATE_VA + e * KSTUB_SIZE; }
