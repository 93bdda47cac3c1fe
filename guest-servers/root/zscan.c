/* The zone code check (zscan.h). */
#include "zscan.h"

/* Is there WRPKRU (0F 01 EF), XRSTOR[64] (0F AE /5, memory operand) or
 * XRSTORS[64] (0F C7 /3, memory operand) starting at b[0]? A prefix
 * (REX.W for the 64-bit forms, 66, F3...) comes before the 0F and does not
 * matter: the three bytes alone decode to the instruction. */
static bool forbidden_at(const uint8_t *b)
{
	unsigned mod = b[2] >> 6, reg = (b[2] >> 3) & 7;
	if (b[0] != 0x0f)
		return false;
	return (b[1] == 0x01 && b[2] == 0xef) || (b[1] == 0xae && reg == 5 && mod != 3) ||
	       (b[1] == 0xc7 && reg == 3 && mod != 3);
}

long zscan(const uint8_t *b, size_t n, const uint8_t *next, size_t nnext)
{
	uint8_t w[ZSCAN_WINDOW];
	for (size_t i = 0; i + ZSCAN_WINDOW <= n; i++)
		if (forbidden_at(b + i))
			return (long)i;
	/* the last bytes, with what follows them in executable memory */
	for (size_t i = n >= ZSCAN_WINDOW - 1 ? n - (ZSCAN_WINDOW - 1) : 0; i < n; i++) {
		size_t k = 0;
		for (; k < ZSCAN_WINDOW && i + k < n; k++)
			w[k] = b[i + k];
		size_t have = k;
		for (; k < ZSCAN_WINDOW && k - have < nnext; k++)
			w[k] = next[k - have];
		if (k == ZSCAN_WINDOW && forbidden_at(w))
			return (long)i;
	}
	return -1;
}
