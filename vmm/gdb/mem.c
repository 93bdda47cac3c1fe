/* Guest memory as gdb addresses it: virtual addresses go through the page
 * tables of the selected vCPU, or of the selected kernel thread's address
 * space, or of the one chosen with "monitor cr3", one page at a time since neighbouring virtual pages need
 * not be physically contiguous. */
#include "gdb/pgwalk.h"
#include "gdb/stub.h"

static bool mem__read_pte(void *ctx, uint64_t gpa, unsigned size,
			  uint64_t *val)
{
	struct gdb_stub *s = ctx;
	uint8_t b[8] = { 0 };

	if (!s->t.read_phys(s->t.ctx, gpa, b, size))
		return false;
	*val = 0;
	for (unsigned i = 0; i < size; i++)
		*val |= (uint64_t)b[i] << (8 * i);
	return true;
}

bool gdb_mem__translate(struct gdb_stub *s, uint64_t va, uint64_t *gpa,
			uint64_t *page_size)
{
	struct gdb_regs r;
	struct pgwalk_mmu mmu;

	if (!s->t.get_regs(s->t.ctx, s->g_cpu, &r))
		return false;
	mmu = (struct pgwalk_mmu){ r.cr0, s->cr3_override ? s->cr3 :
				   s->g_space_cr3 ? s->g_space_cr3 : r.cr3,
				   r.cr4, r.efer };
	return pgwalk__translate(&mmu, va, mem__read_pte, s, gpa, page_size);
}

bool gdb_mem__translate_in(struct gdb_stub *s, uint64_t cr3, uint64_t va,
			   uint64_t *gpa)
{
	struct gdb_regs r;
	struct pgwalk_mmu mmu;

	if (!s->t.get_regs(s->t.ctx, 0, &r))
		return false;
	mmu = (struct pgwalk_mmu){ r.cr0, cr3 ? cr3 : r.cr3, r.cr4, r.efer };
	return pgwalk__translate(&mmu, va, mem__read_pte, s, gpa, NULL);
}

/* gdb sees and writes guest memory as if no breakpoint were inserted (as
 * gdbserver does): reads show the bytes under the int3s, and a write there
 * changes what the int3 will give back, the int3 staying. */
static void mem__keep_int3s(struct gdb_stub *s, uint64_t gpa,
			    const uint8_t *buf, size_t n)
{
	static const uint8_t int3 = 0xcc;

	for (int i = 0; i < GDB_SW_BP_MAX; i++) {
		struct gdb_sw_bp *b = &s->bps.sw[i];

		if (b->used && b->gpa >= gpa && b->gpa - gpa < n) {
			b->orig = buf[b->gpa - gpa];
			s->t.write_phys(s->t.ctx, b->gpa, &int3, 1);
		}
	}
}

/* Splits [addr, addr+len) at page boundaries and calls fn per piece. */
static size_t mem__access(struct gdb_stub *s, uint64_t addr, uint8_t *buf,
			  size_t len, bool write)
{
	size_t done = 0;

	while (done < len) {
		uint64_t va = addr + done, gpa, psize = 4096;
		size_t n;
		bool ok;

		if (s->phys)
			gpa = va;
		else if (!gdb_mem__translate(s, va, &gpa, &psize))
			break;
		n = (size_t)(psize - (va & (psize - 1)));
		if (n > len - done)
			n = len - done;
		ok = write ? s->t.write_phys(s->t.ctx, gpa, buf + done, n)
			   : s->t.read_phys(s->t.ctx, gpa, buf + done, n);
		if (!ok)
			break;
		if (write)
			mem__keep_int3s(s, gpa, buf + done, n);
		else
			gdb_bps__shadow(&s->bps, gpa, buf + done, n);
		done += n;
	}
	return done;
}

size_t gdb_mem__read(struct gdb_stub *s, uint64_t addr, uint8_t *buf,
		     size_t len)
{
	return mem__access(s, addr, buf, len, false);
}

size_t gdb_mem__write(struct gdb_stub *s, uint64_t addr, const uint8_t *buf,
		      size_t len)
{
	return mem__access(s, addr, (uint8_t *)buf, len, true);
}
