/* pcid.elf: the two CR3 paths of DESIGN.md. With CPUID.01H:ECX.PCID, set
 * CR4.PCIDE and switch PCIDs with no-flush CR3 loads (and INVPCID when
 * CPUID.(7,0):EBX.INVPCID); without it, never touch CR4.PCIDE (QEMU TCG hangs
 * on it) and take the plain, flushing CR3 load. */
#include "guest.h"

#define CPUID1_ECX_PCID     (1u << 17)
#define CPUID7_EBX_INVPCID  (1u << 10)
#define CR4_PCIDE           (1ull << 17)
#define CR3_NOFLUSH         (1ull << 63)
#define CR3_PCID_MASK       0xfffull

static volatile uint64_t canary = 0x1234abcd;

/* The identity map is the same in every PCID, so memory must stay readable
 * and writable across each switch. */
static void check_memory(const char *when)
{
	canary += 1;
	if (canary != 0x1234abcd + 1) {
		print("pcid: memory wrong after %s\n", when);
		guest_exit(MKVM_TEST_FAIL);
	}
	canary -= 1;
}

static void load_pcid(uint64_t base, uint64_t pcid)
{
	write_cr3(base | pcid | CR3_NOFLUSH);
	uint64_t got = read_cr3();
	if (got != (base | pcid)) {
		print("pcid: CR3 reads 0x%lx after loading PCID %lu with no-flush, expected 0x%lx\n",
		      got, pcid, base | pcid);
		guest_exit(MKVM_TEST_FAIL);
	}
	check_memory("a no-flush CR3 load");
}

static void invpcid(uint64_t type, uint64_t pcid, uint64_t addr)
{
	struct { uint64_t pcid, addr; } desc = { pcid, addr };
	__asm__ volatile("invpcid %0, %1" : : "m"(desc), "r"(type) : "memory");
}

static void pcid_path(int have_invpcid)
{
	uint64_t base = read_cr3();
	if (base & CR3_PCID_MASK)
		fail("pcid: CR3[11:0] must be 0 before setting CR4.PCIDE");
	write_cr4(read_cr4() | CR4_PCIDE);
	if (!(read_cr4() & CR4_PCIDE))
		fail("pcid: CR4.PCIDE did not stick");
	load_pcid(base, 1);
	load_pcid(base, 2);
	load_pcid(base, 1);
	print("pcid: present, CR4.PCIDE set, no-flush CR3 load ok\n");
	if (!have_invpcid) {
		print("invpcid: absent (CPUID.(7,0):EBX.INVPCID=0)\n");
		return;
	}
	invpcid(0, 2, (uint64_t)&canary); /* one address in PCID 2 */
	invpcid(1, 2, 0);                 /* all of PCID 2 */
	invpcid(2, 0, 0);                 /* everything, globals too */
	invpcid(3, 0, 0);                 /* everything but globals */
	check_memory("INVPCID");
	print("invpcid: ok (types 0-3)\n");
}

static void plain_path(void)
{
	if (read_cr4() & CR4_PCIDE)
		fail("pcid: CR4.PCIDE is set although CPUID has no PCID");
	write_cr3(read_cr3());
	check_memory("a flushing CR3 load");
	print("pcid: absent (CPUID.01H:ECX.PCID=0), took the non-PCID CR3 path\n");
}

void test_main(struct hvm_start_info *si)
{
	(void)si;
	uint32_t r[4];
	cpuid(1, 0, r);
	int have_pcid = !!(r[2] & CPUID1_ECX_PCID);
	cpuid(0, 0, r);
	int have_invpcid = 0;
	if (r[0] >= 7) {
		cpuid(7, 0, r);
		have_invpcid = !!(r[1] & CPUID7_EBX_INVPCID);
	}
	if (have_pcid)
		pcid_path(have_invpcid);
	else
		plain_path();
}
