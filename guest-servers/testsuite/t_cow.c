/* Shared pages and copy-on-write (docs/cow.md): the root task's loader
 * shares an ELF's text, read-only data and unwritten data pages between
 * its instances, and copies a data page at its first write; a space copy
 * (MKVM_ROOT_COPY) shares every page of a program with its copy until a
 * write in either copies that page. The tests drive two instances of
 * the cowtest program (cowtest/cowtest.h) and count frames through the
 * root task's pager (MKVM_ROOT_FRAME). */
#include "../cowtest/cowtest.h"
#include "suite.h"

/* One request to a cowtest instance or copy: the reply's MR1, or ~0 (with
 * *err set) if the IPC failed. */
static uint64_t cow_call(uint64_t srv, uint64_t label, uint64_t a, uint64_t b, bool *err)
{
	uint64_t mr[4] = { L4_TAG(label, 2, 0), a, b, 0 };
	if (l4_ipc_regs(srv, srv, L4_TIMEOUTS(SERVER_TIMEOUT_US, SERVER_TIMEOUT_US), mr, NULL)) {
		*err = true;
		return ~0ull;
	}
	return mr[1];
}

/* Starts the manual program name and returns its server (0 if it did
 * not start). */
static uint64_t cow_start(const char *name)
{
	if (program_run(name, ""))
		return 0;
	return name_lookup(name, SERVER_TIMEOUT_US);
}

/* Ends an instance or copy (its space: srv) and waits until the root
 * task holds nothing of it any more. */
static void cow_stop(uint64_t srv)
{
	bool err = false;
	struct frame_info f;
	cow_call(srv, COWTEST_EXIT, 0, 0, &err);
	for (int i = 0; i < 500 && !program_frame(srv, MKVM_PROG_BASE, &f); i++)
		l4_receive(l4_myself(), 10000, NULL);   /* 10 ms */
}

static struct frame_info frame(uint64_t space, uint64_t va)
{
	struct frame_info f = { 0 };
	if (program_frame(space, va, &f))
		f.kind = ~0ull;
	return f;
}

/* Two instances of one ELF: every text and read-only data page of both is
 * the same frame, and the second instance adds no frame to the image or
 * to its own count by touching them all. */
void t_cow_shared_text(void)
{
	uint64_t a = cow_start("cowtest"), b = cow_start("cowtest2");
	bool err = false;
	unsigned text = 0, rodata = 0;
	if (!a || !b) {
		test_fail("cowtest %lx, cowtest2 %lx did not start", a, b);
		goto out;
	}
	uint64_t va = MKVM_PROG_BASE;
	for (; frame(a, va).rights && !(frame(a, va).rights & L4_W); va += 4096) {
		cow_call(a, COWTEST_READ, va, 0, &err);
		text += !!(frame(a, va).rights & L4_X);
		rodata += !(frame(a, va).rights & L4_X);
	}
	struct frame_info before = frame(b, MKVM_PROG_BASE);
	for (uint64_t v = MKVM_PROG_BASE; v < va; v += 4096) {
		uint64_t wa = cow_call(a, COWTEST_READ, v, 0, &err), wb = cow_call(b, COWTEST_READ, v, 0, &err);
		struct frame_info fa = frame(a, v), fb = frame(b, v);
		if (err || wa != wb || !fa.pa || fa.pa != fb.pa || fa.kind != MKVM_FRAME_IMAGE ||
		    fb.kind != MKVM_FRAME_IMAGE) {
			test_fail("page %lx: frames %lx and %lx (kinds %lu, %lu), words %lx and %lx",
				  v, fa.pa, fb.pa, fa.kind, fb.kind, wa, wb);
			goto out;
		}
	}
	struct frame_info after = frame(b, MKVM_PROG_BASE);
	if (!text || !rodata || after.image_frames != before.image_frames || after.frames != before.frames)
		test_fail("%lu text and %lu read-only pages; image frames %lu then %lu, cowtest2's own %lu then %lu",
			  (uint64_t)text, (uint64_t)rodata, before.image_frames, after.image_frames,
			  before.frames, after.frames);
out:
	if (a)
		cow_stop(a);
	if (b)
		cow_stop(b);
}

/* A data page is the image's frame, read-only, until an instance writes
 * it: that write copies that page only, and the instances' writes
 * diverge. */
void t_cow_data_pages(void)
{
	uint64_t a = cow_start("cowtest"), b = cow_start("cowtest2");
	bool err = false;
	if (!a || !b) {
		test_fail("cowtest %lx, cowtest2 %lx did not start", a, b);
		goto out;
	}
	uint64_t pages = cow_call(a, COWTEST_LAYOUT, 0, 0, &err), p1 = pages + 4096, p2 = pages + 8192;
	uint64_t r1 = cow_call(a, COWTEST_READ, p1, 0, &err) + cow_call(b, COWTEST_READ, p1, 0, &err);
	uint64_t r2 = cow_call(a, COWTEST_READ, p2, 0, &err) + cow_call(b, COWTEST_READ, p2, 0, &err);
	struct frame_info a1 = frame(a, p1), b1 = frame(b, p1);
	if (err || r1 != 2 * COWTEST_MAGIC || r2 != 2 * COWTEST_MAGIC || a1.kind != MKVM_FRAME_IMAGE ||
	    a1.pa != b1.pa || !(a1.rights & L4_W)) {
		test_fail("before any write: words %lx %lx, frames %lx %lx (kind %lu, rights %lu)",
			  r1, r2, a1.pa, b1.pa, a1.kind, a1.rights);
		goto out;
	}
	cow_call(a, COWTEST_WRITE, p1, 0xa1, &err);
	struct frame_info a1w = frame(a, p1), a2 = frame(a, p2), b1w = frame(b, p1);
	if (a1w.kind != MKVM_FRAME_PRIVATE || a1w.pa == a1.pa || a1w.copies != a1.copies + 1 ||
	    a2.kind != MKVM_FRAME_IMAGE || b1w.pa != a1.pa ||
	    cow_call(b, COWTEST_READ, p1, 0, &err) != COWTEST_MAGIC) {
		test_fail("after cowtest's write: its page %lx (kind %lu, %lu copies, was %lu), next page kind %lu, "
			  "cowtest2's %lx", a1w.pa, a1w.kind, a1w.copies, a1.copies, a2.kind, b1w.pa);
		goto out;
	}
	cow_call(b, COWTEST_WRITE, p1, 0xb1, &err);
	uint64_t wa = cow_call(a, COWTEST_READ, p1, 0, &err), wb = cow_call(b, COWTEST_READ, p1, 0, &err);
	b1w = frame(b, p1);
	if (err || wa != 0xa1 || wb != 0xb1 || b1w.kind != MKVM_FRAME_PRIVATE || b1w.pa == a1w.pa ||
	    b1w.pa == a1.pa)
		test_fail("after both wrote: words %lx %lx, frames %lx %lx", wa, wb, a1w.pa, b1w.pa);
out:
	if (a)
		cow_stop(a);
	if (b)
		cow_stop(b);
}

/* The first page of cowtest's data segment (its first writable page). */
static uint64_t data_start(uint64_t space)
{
	uint64_t va = MKVM_PROG_BASE;
	while (frame(space, va).rights && !(frame(space, va).rights & L4_W))
		va += 4096;
	return va;
}

/* The fork pattern: after a space copy both see every page of the
 * program's as the same frame, read-only; a write in either copies that
 * page and no other. Checked over the whole data and bss: exactly the
 * pages written after the copy have different frames. */
void t_cow_space_copy(void)
{
	uint64_t a = cow_start("cowtest"), c = 0;
	bool err = false;
	if (!a) {
		test_fail("cowtest did not start");
		return;
	}
	uint64_t pages = cow_call(a, COWTEST_LAYOUT, 0, 0, &err), end = 0, mr[4] = { L4_TAG(COWTEST_LAYOUT, 0, 0) };
	if (!l4_ipc_regs(a, a, L4_TIMEOUTS(SERVER_TIMEOUT_US, SERVER_TIMEOUT_US), mr, NULL))
		end = mr[3];
	for (uint64_t i = 0; i < 6; i++)
		cow_call(a, COWTEST_WRITE, pages + i * 4096, i, &err);
	c = cow_call(a, COWTEST_COPY, 0, 0, &err);
	if (err || !c || !end) {
		test_fail("no copy of cowtest (%lx), or no layout (end %lx)", c, end);
		goto out;
	}
	for (uint64_t i = 0; i < 6; i++) {
		struct frame_info fa = frame(a, pages + i * 4096), fc = frame(c, pages + i * 4096);
		if (fa.pa != fc.pa || fa.kind != MKVM_FRAME_COW || fc.kind != MKVM_FRAME_COW || fa.refs != 2) {
			test_fail("after the copy, page %lu: frames %lx %lx, kinds %lu %lu, %lu holders",
				  i, fa.pa, fc.pa, fa.kind, fc.kind, fa.refs);
			goto out;
		}
	}
	cow_call(c, COWTEST_WRITE, pages + 1 * 4096, 0xc1, &err);
	cow_call(c, COWTEST_WRITE, pages + 3 * 4096, 0xc3, &err);
	cow_call(a, COWTEST_WRITE, pages + 4 * 4096, 0xa4, &err);
	cow_call(c, COWTEST_WRITE, pages + 6 * 4096, 0xc6, &err);
	unsigned copied = 0, pages_seen = 0;
	for (uint64_t va = data_start(a); va < end; va += 4096, pages_seen++) {
		uint64_t i = (va - pages) / 4096;
		bool written = va >= pages && (i == 1 || i == 3 || i == 4 || i == 6);
		struct frame_info fa = frame(a, va), fc = frame(c, va);
		copied += fa.pa != fc.pa;
		if ((fa.pa != fc.pa) != written || fa.kind == ~0ull || fc.kind == ~0ull) {
			test_fail("page %lx: frames %lx and %lx (kinds %lu, %lu), %s", va, fa.pa, fc.pa,
				  fa.kind, fc.kind, written ? "written after the copy" : "not written");
			goto out;
		}
	}
	static const uint64_t want_a[8] = { 0, 1, 2, 3, 0xa4, 5, COWTEST_MAGIC, COWTEST_MAGIC };
	static const uint64_t want_c[8] = { 0, 0xc1, 2, 0xc3, 4, 5, 0xc6, COWTEST_MAGIC };
	for (uint64_t i = 0; i < 8; i++) {
		uint64_t wa = cow_call(a, COWTEST_READ, pages + i * 4096, 0, &err);
		uint64_t wc = cow_call(c, COWTEST_READ, pages + i * 4096, 0, &err);
		if (err || wa != want_a[i] || wc != want_c[i]) {
			test_fail("page %lu reads %lx in cowtest and %lx in its copy", i, wa, wc);
			goto out;
		}
	}
	struct frame_info f0 = frame(c, pages);
	if (copied != 4 || f0.kind != MKVM_FRAME_COW || f0.refs != 2)
		test_fail("%lu of %lu pages copied (4 expected); page 0 kind %lu, %lu holders",
			  (uint64_t)copied, (uint64_t)pages_seen, f0.kind, f0.refs);
out:
	if (c)
		cow_stop(c);
	cow_stop(a);
}

/* When one of two spaces sharing a frame ends, the other keeps it: its
 * contents stay, and the next write takes the frame over without a copy. */
void t_cow_last_holder(void)
{
	uint64_t a = cow_start("cowtest"), c = 0;
	bool err = false;
	if (!a) {
		test_fail("cowtest did not start");
		return;
	}
	uint64_t pages = cow_call(a, COWTEST_LAYOUT, 0, 0, &err);
	cow_call(a, COWTEST_WRITE, pages, 0x1a, &err);
	cow_call(a, COWTEST_WRITE, pages + 4096, 0x2a, &err);
	c = cow_call(a, COWTEST_COPY, 0, 0, &err);
	if (err || !c) {
		test_fail("no copy of cowtest");
		cow_stop(a);
		return;
	}
	cow_stop(a);
	struct frame_info f = frame(c, pages);
	uint64_t w1 = cow_call(c, COWTEST_READ, pages + 4096, 0, &err);
	if (f.kind != MKVM_FRAME_COW || f.refs != 1 || w1 != 0x2a) {
		test_fail("after cowtest ended: its copy's page kind %lu, %lu holders, second page %lx",
			  f.kind, f.refs, w1);
		goto out;
	}
	cow_call(c, COWTEST_WRITE, pages, 0x1c, &err);
	struct frame_info g = frame(c, pages);
	uint64_t w0 = cow_call(c, COWTEST_READ, pages, 0, &err);
	if (err || g.kind != MKVM_FRAME_PRIVATE || g.pa != f.pa || g.copies != f.copies || w0 != 0x1c)
		test_fail("the last holder's write: frame %lx (was %lx), kind %lu, copies %lu (were %lu), word %lx",
			  g.pa, f.pa, g.kind, g.copies, f.copies, w0);
out:
	cow_stop(c);
}
