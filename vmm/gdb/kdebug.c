/* OS awareness: the microkernel's threads and address spaces, read from
 * guest memory through the description the kernel exports
 * (shared/mkvm/kdebug.h). Everything read is guest data and may be stale or
 * corrupt: each word is checked before use, and a bad one ends the command
 * with a message, never with a read outside what was described. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mkvm/kdebug.h>
#include "gdb/stub.h"

/* Limits far above the kernel's tables, to refuse garbage early. */
#define KDEBUG_MAX_ENTRIES 65536u
#define KDEBUG_MAX_STRIDE  (1u << 20)

static const char *const state_names[] = {
	[MKVM_KDEBUG_T_FREE] = "free",
	[MKVM_KDEBUG_T_READY] = "ready",
	[MKVM_KDEBUG_T_SEND_WAIT] = "send-wait",
	[MKVM_KDEBUG_T_RECV_WAIT] = "recv-wait",
	[MKVM_KDEBUG_T_DEAD] = "dead",
};

/* Reads or writes kernel virtual memory whatever "monitor phys" and the
 * selected thread say: through the page tables vCPU 0 has loaded (the
 * kernel is mapped in every address space). */
static bool kdebug__access(struct gdb_stub *s, uint64_t va, void *buf,
			   size_t len, bool write)
{
	bool phys = s->phys, cr3_override = s->cr3_override;
	uint64_t space_cr3 = s->g_space_cr3;
	unsigned cpu = s->g_cpu;
	size_t n;

	s->phys = s->cr3_override = false;
	s->g_space_cr3 = 0;
	s->g_cpu = 0;
	n = write ? gdb_mem__write(s, va, buf, len) : gdb_mem__read(s, va, buf, len);
	s->phys = phys;
	s->cr3_override = cr3_override;
	s->g_space_cr3 = space_cr3;
	s->g_cpu = cpu;
	return n == len;
}

static bool kdebug__read(struct gdb_stub *s, uint64_t va, void *buf,
			 size_t len)
{
	return kdebug__access(s, va, buf, len, false);
}

static bool kdebug__write(struct gdb_stub *s, uint64_t va, const void *buf,
			  size_t len)
{
	return kdebug__access(s, va, (void *)buf, len, true);
}

static bool field_ok(uint16_t off, unsigned size, uint32_t stride)
{
	return off != MKVM_KDEBUG_NONE && (uint32_t)off + size <= stride;
}

static bool table_ok(uint64_t base, uint32_t n, uint32_t stride)
{
	return n && n <= KDEBUG_MAX_ENTRIES && stride &&
	       stride <= KDEBUG_MAX_STRIDE &&
	       base + (uint64_t)n * stride > base;	/* no wrap */
}

/* Loads and validates the description at s->kdesc; on failure writes why
 * to err. */
static bool kdebug__load(struct gdb_stub *s, struct mkvm_kdebug *d,
			 char *err, size_t errlen)
{
	if (!s->kdesc_set) {
		snprintf(err, errlen, "no kernel description: the kernel ELF "
			 "has no mkvm_kdebug_desc; give its address with "
			 "\"monitor kdesc ADDR\"\n");
		return false;
	}
	if (!kdebug__read(s, s->kdesc, d, sizeof(*d))) {
		snprintf(err, errlen, "kernel description at %#llx: "
			 "not mapped\n", (unsigned long long)s->kdesc);
		return false;
	}
	if (d->magic != MKVM_KDEBUG_MAGIC) {
		snprintf(err, errlen, "kernel description at %#llx: bad magic "
			 "%#x\n", (unsigned long long)s->kdesc, d->magic);
		return false;
	}
	if (d->version != MKVM_KDEBUG_VERSION || d->size < sizeof(*d)) {
		snprintf(err, errlen, "kernel description version %u size %u: "
			 "this stub reads version %u\n", d->version, d->size,
			 MKVM_KDEBUG_VERSION);
		return false;
	}
	if (d->nthreads > GDB_KTHREADS_MAX) {
		snprintf(err, errlen, "kernel description: %u threads, more "
			 "than this stub shows (%u)\n", d->nthreads,
			 GDB_KTHREADS_MAX);
		return false;
	}
	if (!table_ok(d->threads, d->nthreads, d->thread_stride) ||
	    !table_ok(d->spaces, d->nspaces, d->space_stride) ||
	    !field_ok(d->tcb_id, 8, d->thread_stride) ||
	    !field_ok(d->tcb_state, 4, d->thread_stride) ||
	    !field_ok(d->tcb_space, 8, d->thread_stride) ||
	    !field_ok(d->space_cr3, 8, d->space_stride)) {
		snprintf(err, errlen, "kernel description: table or field "
			 "outside its bounds\n");
		return false;
	}
	/* version 2: a thread's saved registers */
	if (!field_ok(d->tcb_frame, 8, d->thread_stride) ||
	    !field_ok(d->tcb_fs_base, 8, d->thread_stride) ||
	    !field_ok(d->tcb_gs_base, 8, d->thread_stride))
		d->tcb_frame = MKVM_KDEBUG_NONE;
	/* optional fields */
	if (d->tcb_prio != MKVM_KDEBUG_NONE &&
	    !field_ok(d->tcb_prio, 1, d->thread_stride))
		d->tcb_prio = MKVM_KDEBUG_NONE;
	if (d->space_pcid != MKVM_KDEBUG_NONE &&
	    !field_ok(d->space_pcid, 2, d->space_stride))
		d->space_pcid = MKVM_KDEBUG_NONE;
	if (d->tcb_name != MKVM_KDEBUG_NONE &&
	    !field_ok(d->tcb_name, MKVM_KDEBUG_NAME, d->thread_stride))
		d->tcb_name = MKVM_KDEBUG_NONE;
	return true;
}

static uint64_t get_le(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Reads `size` bytes at `off` in entry `i` of a validated table. */
static bool entry_read(struct gdb_stub *s, uint64_t base, uint32_t stride,
		       uint32_t i, uint16_t off, unsigned size, uint64_t *v)
{
	uint8_t b[8];

	if (!kdebug__read(s, base + (uint64_t)i * stride + off, b, size))
		return false;
	*v = get_le(b, size);
	return true;
}

/* Space table index of a space pointer, or -1 if it points elsewhere. */
static long space_index(const struct mkvm_kdebug *d, uint64_t p)
{
	uint64_t off = p - d->spaces;

	if (p < d->spaces || off % d->space_stride ||
	    off / d->space_stride >= d->nspaces)
		return -1;
	return (long)(off / d->space_stride);
}

struct kthread {
	uint64_t id, state, space, prio;
	char name[MKVM_KDEBUG_NAME + 1];	/* printable, terminated */
};

/* The thread's name as printable text: bytes up to the first NUL, any
 * other byte outside printable ASCII shown as '?'. */
static bool name_read(struct gdb_stub *s, const struct mkvm_kdebug *d,
		      uint32_t i, struct kthread *t)
{
	uint8_t b[MKVM_KDEBUG_NAME];
	unsigned n = 0;

	t->name[0] = 0;
	if (d->tcb_name == MKVM_KDEBUG_NONE)
		return true;
	if (!kdebug__read(s, d->threads + (uint64_t)i * d->thread_stride +
			  d->tcb_name, b, sizeof(b)))
		return false;
	for (; n < sizeof(b) && b[n]; n++)
		t->name[n] = b[n] >= ' ' && b[n] < 0x7f ? (char)b[n] : '?';
	t->name[n] = 0;
	return true;
}

static bool thread_read(struct gdb_stub *s, const struct mkvm_kdebug *d,
			uint32_t i, struct kthread *t)
{
	t->prio = 0;
	return entry_read(s, d->threads, d->thread_stride, i, d->tcb_id, 8,
			  &t->id) &&
	       entry_read(s, d->threads, d->thread_stride, i, d->tcb_state, 4,
			  &t->state) &&
	       entry_read(s, d->threads, d->thread_stride, i, d->tcb_space, 8,
			  &t->space) &&
	       (d->tcb_prio == MKVM_KDEBUG_NONE ||
		entry_read(s, d->threads, d->thread_stride, i, d->tcb_prio, 1,
			   &t->prio)) &&
	       name_read(s, d, i, t);
}

static bool fail(struct gdb_stub *s, const char *text)
{
	gdb_stub__console(s, text);
	return false;
}

bool gdb_kdebug__threads(struct gdb_stub *s)
{
	struct mkvm_kdebug d;
	struct kthread t;
	char line[160];
	unsigned listed = 0;

	if (!kdebug__load(s, &d, line, sizeof(line)))
		return fail(s, line);
	gdb_stub__console(s, "thread    state      space  prio  name\n");
	for (uint32_t i = 0; i < d.nthreads; i++) {
		long sp;

		if (!thread_read(s, &d, i, &t)) {
			snprintf(line, sizeof(line), "thread table entry %u: "
				 "not mapped\n", i);
			return fail(s, line);
		}
		if (t.state == MKVM_KDEBUG_T_FREE)
			continue;
		sp = space_index(&d, t.space);
		snprintf(line, sizeof(line), "%4llu.%-4llu %-10s %5ld  %4llu%s%s\n",
			 (unsigned long long)(t.id >> 16),
			 (unsigned long long)(t.id & 0xffff),
			 t.state < sizeof(state_names) / sizeof(state_names[0])
				 ? state_names[t.state] : "?",
			 sp, (unsigned long long)t.prio, t.name[0] ? "  " : "", t.name);
		gdb_stub__console(s, line);
		listed++;
	}
	snprintf(line, sizeof(line), "%u threads\n", listed);
	gdb_stub__console(s, line);
	return true;
}

/* Lists the spaces that have threads (the table has no in-use flag the
 * description exports; a space without threads is not interesting here). */
bool gdb_kdebug__spaces(struct gdb_stub *s)
{
	struct mkvm_kdebug d;
	struct kthread t;
	char line[160];
	uint16_t *count = NULL;
	char (*names)[MKVM_KDEBUG_NAME + 1] = NULL;	/* a named thread's */
	unsigned listed = 0;
	bool ok = false;

	if (!kdebug__load(s, &d, line, sizeof(line)))
		return fail(s, line);
	count = calloc(d.nspaces, sizeof(*count));
	names = calloc(d.nspaces, sizeof(*names));
	if (!count || !names) {
		fail(s, "out of memory\n");
		goto out;
	}
	for (uint32_t i = 0; i < d.nthreads; i++) {
		long sp;

		if (!thread_read(s, &d, i, &t)) {
			snprintf(line, sizeof(line), "thread table entry %u: "
				 "not mapped\n", i);
			fail(s, line);
			goto out;
		}
		sp = space_index(&d, t.space);
		if (t.state != MKVM_KDEBUG_T_FREE && sp >= 0 &&
		    count[sp] < UINT16_MAX)
			count[sp]++;
		if (t.state != MKVM_KDEBUG_T_FREE && sp >= 0 && !names[sp][0])
			memcpy(names[sp], t.name, sizeof(names[sp]));
	}
	gdb_stub__console(s, "space  cr3                 pcid  threads  name\n");
	for (uint32_t i = 0; i < d.nspaces; i++) {
		uint64_t cr3, pcid = 0;
		char pcid_text[8] = "-";

		if (!count[i])
			continue;
		if (!entry_read(s, d.spaces, d.space_stride, i, d.space_cr3, 8,
				&cr3) ||
		    (d.space_pcid != MKVM_KDEBUG_NONE &&
		     !entry_read(s, d.spaces, d.space_stride, i, d.space_pcid,
				 2, &pcid))) {
			snprintf(line, sizeof(line), "space table entry %u: "
				 "not mapped\n", i);
			fail(s, line);
			goto out;
		}
		if (d.space_pcid != MKVM_KDEBUG_NONE)
			snprintf(pcid_text, sizeof(pcid_text), "%llu",
				 (unsigned long long)pcid);
		snprintf(line, sizeof(line), "%5u  %#-18llx  %4s  %7u%s%s\n", i,
			 (unsigned long long)cr3, pcid_text, count[i], names[i][0] ? "  " : "", names[i]);
		gdb_stub__console(s, line);
		listed++;
	}
	snprintf(line, sizeof(line), "%u spaces\n", listed);
	gdb_stub__console(s, line);
	ok = true;
out:
	free(count);
	free(names);
	return ok;
}

bool gdb_kdebug__select_space(struct gdb_stub *s, uint64_t n)
{
	struct mkvm_kdebug d;
	char line[160];
	uint64_t cr3;

	if (!kdebug__load(s, &d, line, sizeof(line)))
		return fail(s, line);
	if (n >= d.nspaces) {
		snprintf(line, sizeof(line), "no space %llu (the table has "
			 "%u)\n", (unsigned long long)n, d.nspaces);
		return fail(s, line);
	}
	if (!entry_read(s, d.spaces, d.space_stride, (uint32_t)n, d.space_cr3,
			8, &cr3)) {
		snprintf(line, sizeof(line), "space table entry %llu: not "
			 "mapped\n", (unsigned long long)n);
		return fail(s, line);
	}
	if (!cr3 || (cr3 & 0xfff)) {
		snprintf(line, sizeof(line), "space %llu has no page tables "
			 "(cr3 %#llx)\n", (unsigned long long)n,
			 (unsigned long long)cr3);
		return fail(s, line);
	}
	s->cr3_override = true;
	s->cr3 = cr3;
	return true;
}

/* ---- the OS view: spaces as gdb processes, kernel threads as threads ---- */

bool gdb_kdebug__os_load(struct gdb_stub *s, struct mkvm_kdebug *d)
{
	char err[160];

	return s->os && kdebug__load(s, d, err, sizeof(err));
}

bool gdb_kdebug__thread(struct gdb_stub *s, const struct mkvm_kdebug *d,
			uint32_t num, struct gdb_kthread *out)
{
	struct kthread t;

	if (num >= d->nthreads || !thread_read(s, d, num, &t))
		return false;
	out->id = t.id;
	out->state = t.state <= MKVM_KDEBUG_T_DEAD ? (unsigned)t.state
						    : MKVM_KDEBUG_T_DEAD + 1;
	out->space = t.state == MKVM_KDEBUG_T_FREE ? -1 : space_index(d, t.space);
	out->prio = (unsigned)t.prio;
	memcpy(out->name, t.name, sizeof(out->name));
	return true;
}

const char *gdb_kdebug__state_name(unsigned state)
{
	return state < sizeof(state_names) / sizeof(state_names[0])
		? state_names[state] : "?";
}

long gdb_kdebug__thread_at(const struct mkvm_kdebug *d, uint64_t p)
{
	uint64_t off = p - d->threads;

	if (p < d->threads || off % d->thread_stride ||
	    off / d->thread_stride >= d->nthreads)
		return -1;
	return (long)(off / d->thread_stride);
}

long gdb_kdebug__current(struct gdb_stub *s, const struct mkvm_kdebug *d)
{
	uint8_t b[8];

	if (!d->current || !kdebug__read(s, d->current, b, sizeof(b)))
		return -1;
	return gdb_kdebug__thread_at(d, get_le(b, 8));	/* -1: the idle thread */
}

bool gdb_kdebug__space_cr3(struct gdb_stub *s, const struct mkvm_kdebug *d,
			   long space, uint64_t *cr3)
{
	if (space < 0 || (uint64_t)space >= d->nspaces ||
	    !entry_read(s, d->spaces, d->space_stride, (uint32_t)space,
			d->space_cr3, 8, cr3))
		return false;
	*cr3 &= 0x000ffffffffff000ull;
	return *cr3 != 0;
}

/* Where thread num's saved user registers are. */
static bool frame_addr(struct gdb_stub *s, const struct mkvm_kdebug *d,
		       uint32_t num, uint64_t *va)
{
	return d->tcb_frame != MKVM_KDEBUG_NONE && num < d->nthreads &&
	       entry_read(s, d->threads, d->thread_stride, num, d->tcb_frame,
			  8, va) && *va;
}

bool gdb_kdebug__frame_regs(struct gdb_stub *s, const struct mkvm_kdebug *d,
			    uint32_t num, struct gdb_regs *r)
{
	struct mkvm_kdebug_frame f;
	uint64_t va, fs = 0, gs = 0;

	if (!frame_addr(s, d, num, &va) || !kdebug__read(s, va, &f, sizeof(f)) ||
	    !entry_read(s, d->threads, d->thread_stride, num, d->tcb_fs_base, 8, &fs) ||
	    !entry_read(s, d->threads, d->thread_stride, num, d->tcb_gs_base, 8, &gs))
		return false;
	r->gpr[0] = f.rax, r->gpr[1] = f.rbx, r->gpr[2] = f.rcx;
	r->gpr[3] = f.rdx, r->gpr[4] = f.rsi, r->gpr[5] = f.rdi;
	r->gpr[6] = f.rbp, r->gpr[7] = f.rsp;
	r->gpr[8] = f.r8, r->gpr[9] = f.r9, r->gpr[10] = f.r10;
	r->gpr[11] = f.r11, r->gpr[12] = f.r12, r->gpr[13] = f.r13;
	r->gpr[14] = f.r14, r->gpr[15] = f.r15;
	r->rip = f.rip;
	r->eflags = (uint32_t)f.rflags;
	r->seg[0] = (uint32_t)f.cs & 0xffff;
	r->seg[1] = (uint32_t)f.ss & 0xffff;
	r->fs_base = fs;
	r->gs_base = gs;
	return true;
}

bool gdb_kdebug__set_frame_regs(struct gdb_stub *s,
				const struct mkvm_kdebug *d, uint32_t num,
				const struct gdb_regs *r)
{
	struct mkvm_kdebug_frame f;
	uint64_t va;

	if (!frame_addr(s, d, num, &va) || !kdebug__read(s, va, &f, sizeof(f)))
		return false;
	f.rax = r->gpr[0], f.rbx = r->gpr[1], f.rcx = r->gpr[2];
	f.rdx = r->gpr[3], f.rsi = r->gpr[4], f.rdi = r->gpr[5];
	f.rbp = r->gpr[6], f.rsp = r->gpr[7];
	f.r8 = r->gpr[8], f.r9 = r->gpr[9], f.r10 = r->gpr[10];
	f.r11 = r->gpr[11], f.r12 = r->gpr[12], f.r13 = r->gpr[13];
	f.r14 = r->gpr[14], f.r15 = r->gpr[15];
	f.rip = r->rip;
	/* the kernel checks what it restores: a user rip or rsp, flags
	 * without IOPL; a debugger is held to the same */
	if (f.rip >= 0x0000800000000000ull || f.rsp >= 0x0000800000000000ull)
		return false;
	f.rflags = (f.rflags & ~0x0cd5ull) | (r->eflags & 0x0cd5u);
	return kdebug__write(s, va, &f, sizeof(f));
}

bool gdb_kdebug__frame_tf(struct gdb_stub *s, const struct mkvm_kdebug *d,
			  uint32_t num, bool on)
{
	struct mkvm_kdebug_frame f;
	uint64_t va;

	if (!frame_addr(s, d, num, &va) || !kdebug__read(s, va, &f, sizeof(f)))
		return false;
	f.rflags = on ? f.rflags | GDB_RFLAGS_TF : f.rflags & ~GDB_RFLAGS_TF;
	return kdebug__write(s, va + offsetof(struct mkvm_kdebug_frame, rflags),
			     &f.rflags, sizeof(f.rflags));
}
