/* The programs of the boot configuration: loaded from their ELF files in
 * the boot module into spaces of their own, paged, named, given exactly
 * the resources their configuration line names, and started again when
 * they fail. One server thread (programs_server) does all of it, so no
 * state here needs a lock; shared/mkvm/root.h is its protocol. */
#include <mkvm/cpio.h>
#include <mkvm/elf.h>
#include <mkvm/zone.h>
#include "programs.h"
#include "root.h"
#include "zscan.h"

#define MAX_NAMES 32
#define MAX_FREE 1024
#define MAX_RESTARTS 8          /* in a program's life: a program that always fails stops */
#define MAX_IMAGE_PAGES 512     /* pages of an ELF's file contents (2 MiB) */
#define PAGE_SLOTS 2048         /* a program's page index: twice MAX_PROG_PAGES slots */
#define REF_LEAF 2048           /* reference counts in one leaf frame (8 MiB of frames) */
#define REF_LEAVES 2048         /* frames below 16 GiB can be shared copy-on-write */
/* Where the persistence server's pages of program i's region land in the
 * root task's space before they are mapped on (a window per program). */
#define PERSIST_WINDOW 0x200000000000ull
#define PERSIST_WINDOW_SIZE ((uint64_t)MKVM_PERSIST_MAX_PAGES * 4096)

/* A frame a program holds: its own (read-write where the segment is), or,
 * with PAGE_COW in pa, one it shares with copies of its space: mapped
 * without write right; a write copies it, or takes it over when no other
 * space holds it any more (cow_refs). */
struct page { uint64_t va, pa; };
#define PAGE_COW 1ull
#define PAGE_PA(pg) ((pg)->pa & ~0xfffull)

/* An ELF of the boot module as the loader sees it: the frames made from
 * its file contents (text, read-only data, the initial data pages), on
 * first use and for the life of the system, shared read-only by every
 * instance of every program that runs it. */
struct image {
	const uint8_t *elf;
	uint64_t elf_len, entry, heap_base;
	uint64_t frames[MAX_IMAGE_PAGES];       /* by (va - MKVM_PROG_BASE) / 4096; 0: not made yet */
	unsigned nframes;
	/* for programs with zones (mkvm/zone.h): */
	uint8_t code[MAX_IMAGE_PAGES];          /* executable pages: CODE_CLEAN, CODE_REFUSED, 0: not checked */
	uint64_t gate[2];                       /* the gate page's frames (call gates, kernel
						   zone-call stubs), 0: not made yet */
	unsigned nzones, nentries;
	uint64_t fn[MKVM_ZONE_MAX_ENTRIES];
	uint8_t fzone[MKVM_ZONE_MAX_ENTRIES];
};
#define CODE_CLEAN 1
#define CODE_REFUSED 2

struct prog {
	struct prog_cfg cfg;
	enum prog_state state;
	struct image *img;
	struct prog *copy_of;           /* for a space copy (MKVM_ROOT_COPY): its parent, else NULL */
	uint64_t tid;                   /* its first thread (and its space), or 0 */
	uint64_t instance, restarts;
	uint64_t ends;                  /* how often it ended, and the last time how: */
	uint64_t status;                /* its exit status, or 0 */
	uint64_t why;                   /* MKVM_END_* */
	uint64_t why_addr;
	uint64_t info_pa;               /* its info page (root's frame) */
	uint64_t copies;                /* frames copied for its writes (copy-on-write) */
	unsigned npages;
	struct page pages[MAX_PROG_PAGES];
	uint16_t slot[PAGE_SLOTS];      /* pages[] index + 1, open-addressed by va (page_of); 0: free */
};

struct name { char name[MKVM_NAME_MAX]; uint64_t tid; struct prog *owner; };

uint64_t programs_server;
static struct prog progs[MAX_PROGS + MAX_COPIES];  /* boot.cfg's, then space copies */
static unsigned nprogs;                 /* boot.cfg's programs */
static struct image images[MAX_PROGS];
static unsigned nimages;
static uint16_t *cow_leaf[REF_LEAVES];
static struct name names[MAX_NAMES];
static uint64_t free_frames[MAX_FREE];
static unsigned nfree;
static const struct l4_bootinfo *bi;
static uint64_t ram_top;                /* device memory starts above the highest RAM below 4 GiB */

/* ---- frames: from sigma0, returned here when a program ends ---- */

/* A frame, zeroed (a recycled one held another program's data; sigma0's
 * may hold anything), or filled with a copy of the frame src. */
static uint64_t frame_get_from(uint64_t src)
{
	uint64_t pa = nfree ? free_frames[--nfree] : sigma0_alloc();
	if (pa && src)
		memcpy((void *)pa, (const void *)src, 4096);
	else if (pa)
		memset((void *)pa, 0, 4096);
	return pa;
}

static uint64_t frame_get(void)
{
	return frame_get_from(0);
}

static void frame_put(uint64_t pa)
{
	l4_unmap(L4_FPAGE(pa, 12, L4_RWX), 0);  /* out of every space it went to */
	if (nfree < MAX_FREE)
		free_frames[nfree++] = pa;
}

/* How many spaces hold frame pa copy-on-write (struct page, PAGE_COW);
 * with alloc the count's leaf is made if missing. NULL: pa cannot be
 * shared (above the table, or no frame for the leaf). */
static uint16_t *cow_refs(uint64_t pa, bool alloc)
{
	uint64_t leaf = pa / 4096 / REF_LEAF;
	if (leaf >= REF_LEAVES)
		return NULL;
	if (!cow_leaf[leaf] && (!alloc || !(cow_leaf[leaf] = (uint16_t *)frame_get())))
		return NULL;
	return &cow_leaf[leaf][pa / 4096 % REF_LEAF];
}

/* pg stops sharing its frame: true if no other space holds it any more
 * (the frame is then pg's alone). */
static bool cow_release(struct page *pg)
{
	uint16_t *refs = cow_refs(PAGE_PA(pg), false);
	pg->pa &= ~PAGE_COW;
	return --*refs == 0;
}

/* ---- the loader ---- */

/* Checks the program's ELF: an x86-64 executable whose loadable segments
 * lie in [MKVM_PROG_BASE, 2 GiB), each starting on its own page, none both
 * writable and executable, their file contents within MAX_IMAGE_PAGES.
 * Sets heap_base past the last one. */
static bool elf_check(struct image *p)
{
	const struct elf64_ehdr *eh = (const void *)p->elf;
	if (p->elf_len < sizeof(*eh) || memcmp(eh->ident, "\177ELF\2\1", 6) || eh->type != 2 ||
	    eh->machine != 62 || eh->phentsize != sizeof(struct elf64_phdr) || eh->phoff > p->elf_len ||
	    eh->phnum > (p->elf_len - eh->phoff) / sizeof(struct elf64_phdr))
		return false;
	const struct elf64_phdr *ph = (const void *)(p->elf + eh->phoff);
	uint64_t end = MKVM_PROG_BASE;
	for (unsigned i = 0; i < eh->phnum; i++) {
		if (ph[i].type != PT_LOAD)
			continue;
		uint64_t va = ph[i].vaddr;
		if (va < end || va & 0xfff || va >= (2ull << 30) || ph[i].memsz > (2ull << 30) - va ||
		    ph[i].filesz > ph[i].memsz || ph[i].offset > p->elf_len ||
		    ph[i].filesz > p->elf_len - ph[i].offset ||
		    ((ph[i].flags & PF_W) && (ph[i].flags & PF_X)) ||
		    va - MKVM_PROG_BASE + ph[i].filesz > MAX_IMAGE_PAGES * 4096ull)
			return false;
		end = (va + ph[i].memsz + 0xfff) & ~0xfffull;
	}
	p->entry = eh->entry;
	p->heap_base = end;
	return end > MKVM_PROG_BASE && eh->entry >= MKVM_PROG_BASE && eh->entry < end;
}

/* The loadable segment holding va, or NULL. */
static const struct elf64_phdr *segment_of(const struct image *img, uint64_t va)
{
	const struct elf64_ehdr *eh = (const void *)img->elf;
	const struct elf64_phdr *ph = (const void *)(img->elf + eh->phoff);
	for (unsigned i = 0; i < eh->phnum; i++)
		if (ph[i].type == PT_LOAD && va >= ph[i].vaddr && va - ph[i].vaddr < ph[i].memsz)
			return &ph[i];
	return NULL;
}

/* ---- programs ---- */

/* The running program whose space has this id (its first thread's). */
static struct prog *prog_of(uint64_t space)
{
	for (unsigned i = 0; i < MAX_PROGS + MAX_COPIES; i++)
		if (progs[i].tid == space && progs[i].state != P_ENDED && progs[i].state != P_FREE)
			return &progs[i];
	return NULL;
}

static struct prog *prog_named(const char *name)
{
	for (unsigned i = 0; i < nprogs; i++)
		if (!strcmp(progs[i].cfg.name, name))
			return &progs[i];
	return NULL;
}

/* Where the search for va starts in a page index. */
static unsigned slot_of(uint64_t va)
{
	return (unsigned)(((va >> 12) * 0x9e3779b97f4a7c15ull) >> 53);
}

/* p's record of the page at va, or NULL. Records are never removed one
 * by one (all go when the program ends), so the open-addressed index
 * needs no deletion, and it is at most half full. */
static struct page *page_of(struct prog *p, uint64_t va)
{
	for (unsigned i = slot_of(va); p->slot[i]; i = (i + 1) % PAGE_SLOTS)
		if (p->pages[p->slot[i] - 1].va == va)
			return &p->pages[p->slot[i] - 1];
	return NULL;
}

/* Appends a record to p's pages (below its limit) and its index. */
static struct page *page_record(struct prog *p, uint64_t va, uint64_t pa)
{
	unsigned i = slot_of(va);
	while (p->slot[i])
		i = (i + 1) % PAGE_SLOTS;
	p->pages[p->npages] = (struct page){ va, pa };
	p->slot[i] = (uint16_t)++p->npages;
	return &p->pages[p->npages - 1];
}

/* p holds no page any more. */
static void pages_clear(struct prog *p)
{
	p->npages = 0;
	memset(p->slot, 0, sizeof(p->slot));
}

/* A new frame of p's own at va, a copy of the frame src (0: zeroed),
 * counted against its limit; NULL at the limit or without memory. */
static struct page *page_add(struct prog *p, uint64_t va, uint64_t src)
{
	uint64_t pa;
	if (p->npages >= p->cfg.max_pages || !(pa = frame_get_from(src)))
		return NULL;
	return page_record(p, va, pa);
}

/* Has va (in seg) contents from the ELF file (not bss alone)? */
static bool has_contents(const struct elf64_phdr *seg, uint64_t va)
{
	return seg && va - seg->vaddr < seg->filesz;
}

/* The image's frame with the file contents of va (has_contents), made on
 * first use; 0 without memory. */
static uint64_t image_frame(struct image *img, const struct elf64_phdr *seg, uint64_t va)
{
	uint64_t *f = &img->frames[(va - MKVM_PROG_BASE) / 4096], off = va - seg->vaddr;
	if (!*f && (*f = frame_get())) {
		uint64_t n = seg->filesz - off < 4096 ? seg->filesz - off : 4096;
		memcpy((void *)*f, img->elf + seg->offset + off, n);
		img->nframes++;
	}
	return *f;
}

/* The frame to map at va of p (seg: its segment, or NULL for heap and
 * stack) for an access (L4_R, L4_W or L4_X); *rights loses L4_W while the
 * frame is shared. Text, read-only data and unwritten data pages are the
 * image's frames, read-only; the first write to a data page copies the
 * image's frame, the first write to a frame shared with a space copy
 * copies it unless no other space holds it any more. 0 at p's page limit
 * or without memory. */
static uint64_t page_frame(struct prog *p, const struct elf64_phdr *seg, uint64_t va, uint64_t access,
			   unsigned *rights)
{
	struct page *pg = page_of(p, va);
	uint64_t src;
	if (!pg && has_contents(seg, va)) {
		if (!(src = image_frame(p->img, seg, va)))
			return 0;
		if (!(access & L4_W)) {
			*rights &= ~L4_W;
			return src;
		}
		if (!(pg = page_add(p, va, src)))
			return 0;
		p->copies++;
		return pg->pa;
	}
	if (!pg)
		return (pg = page_add(p, va, 0)) ? pg->pa : 0;
	if (!(pg->pa & PAGE_COW))
		return pg->pa;
	if (!(access & L4_W)) {
		*rights &= ~L4_W;
		return PAGE_PA(pg);
	}
	if (*cow_refs(PAGE_PA(pg), false) > 1) {
		uint64_t copy = frame_get_from(PAGE_PA(pg));
		if (!copy)
			return 0;
		cow_release(pg);
		pg->pa = copy;
		p->copies++;
	} else {
		cow_release(pg);        /* the last holder: the frame is its own now */
	}
	return pg->pa;
}

static void prog_start(struct prog *p);

static const char *const end_text[] = {
	[MKVM_END_EXIT] = "exited",
	[MKVM_END_FAULT] = "faulted at",
	[MKVM_END_WRITE_RO] = "wrote to read-only",
	[MKVM_END_EXEC_NX] = "executed non-executable",
	[MKVM_END_LIMIT] = "exceeded its page limit at",
	[MKVM_END_EXCEPTION] = "raised exception",
	[MKVM_END_CRASHED] = "could not start: error",
	[MKVM_END_KMEM] = "reached its kernel memory limit at",
	[MKVM_END_NOMEM] = "found no free memory at",
	[MKVM_END_ZONE_CODE] = "has code that writes PKRU in its page at",
};

/* p ended (why: MKVM_END_*; a: the fault address or vector, b: the ip):
 * every thread of its space and of the spaces it made goes, everything it
 * held comes back (a frame shared copy-on-write once its last holder is
 * gone), and a failed program with `restart` starts again. */
static void prog_end(struct prog *p, uint64_t why, uint64_t a, uint64_t b)
{
	uint64_t tid = p->tid;
	l4_thread_control_flags(tid, L4_NILTHREAD, L4_NILTHREAD, 0, 0, L4_TC_WHOLE_SPACE);
	for (unsigned i = 0; i < p->npages; i++) {
		struct page *pg = &p->pages[i];
		/* a device may still write DMA pages: never reused */
		if (pg->va < MKVM_DMA_OFFSET && (!(pg->pa & PAGE_COW) || cow_release(pg)))
			frame_put(PAGE_PA(pg));
	}
	pages_clear(p);
	for (unsigned i = 0; i < MAX_NAMES; i++)
		if (names[i].owner == p)
			names[i] = (struct name){ 0 };
	p->state = P_ENDED;
	p->why = why;
	p->why_addr = a;
	p->ends++;
	if (why == MKVM_END_EXIT)
		return;
	p->status = 0;
	printf("root: %s (thread %lx) %s %lx, ip %lx\n", p->cfg.name, tid, end_text[why], a, b);
	if (p->cfg.restart && why != MKVM_END_CRASHED && p->restarts < MAX_RESTARTS) {
		p->restarts++;
		p->tid = L4_TID(L4_TID_NUM(tid), L4_TID_VER(tid) + 1);
		prog_start(p);
	}
}

/* ---- zones (mkvm/zone.h) ---- */

/* The zone's first read-only segment, where its entry table is. */
static const struct elf64_phdr *zone_table_segment(const struct image *img, unsigned z)
{
	const struct elf64_ehdr *eh = (const void *)img->elf;
	const struct elf64_phdr *ph = (const void *)(img->elf + eh->phoff);
	for (unsigned i = 0; i < eh->phnum; i++)
		if (ph[i].type == PT_LOAD && MKVM_ZONE_OF_PF(ph[i].flags) == z && !(ph[i].flags & (PF_W | PF_X)))
			return &ph[i];
	return NULL;
}

/* Reads img's zones and their entry tables (each entry must lie in an
 * executable segment of its own zone) and writes its gate page, once. */
static bool zones_prepare(struct image *img, bool kernel)
{
	if (img->gate[kernel])
		return true;
	const struct elf64_ehdr *eh = (const void *)img->elf;
	const struct elf64_phdr *ph = (const void *)(img->elf + eh->phoff);
	img->nzones = 1;
	for (unsigned i = 0; i < eh->phnum; i++)
		if (ph[i].type == PT_LOAD && MKVM_ZONE_OF_PF(ph[i].flags) >= img->nzones)
			img->nzones = MKVM_ZONE_OF_PF(ph[i].flags) + 1;
	if (img->nzones > MKVM_ZONE_MAX)
		return false;
	img->nentries = 0;
	for (unsigned z = 1; z < img->nzones; z++) {
		const struct elf64_phdr *t = zone_table_segment(img, z);
		struct mkvm_zone_entries e;
		if (!t || t->filesz < sizeof(e))
			return false;
		memcpy(&e, img->elf + t->offset, sizeof(e));
		if (e.magic != MKVM_ZONE_MAGIC || e.n > MKVM_ZONE_MAX_ENTRIES - img->nentries)
			return false;
		for (unsigned i = 0; i < e.n; i++) {
			const struct elf64_phdr *c = segment_of(img, e.fn[i]);
			if (!c || !(c->flags & PF_X) || MKVM_ZONE_OF_PF(c->flags) != z)
				return false;
			img->fn[img->nentries] = e.fn[i];
			img->fzone[img->nentries++] = (uint8_t)z;
		}
	}
	uint64_t gate = frame_get();
	if (!gate || !zone_gate_page((uint8_t *)gate, img->fn, img->fzone, img->nentries, img->nzones, !kernel)) {
		if (gate)
			frame_put(gate);
		return false;
	}
	img->gate[kernel] = gate;
	return true;
}

/* The protection key p's pager gives its page at va (seg: its segment). */
static unsigned page_key(const struct prog *p, const struct elf64_phdr *seg, uint64_t va)
{
	if (!p->cfg.zones || va == MKVM_PROG_INFO || va == MKVM_ZONE_GATE_VA)
		return 0;
	if (va == MKVM_ZONE_DATA_VA)
		return MKVM_ZONE_GATE_KEY;
	for (unsigned z = 1; z < p->img->nzones; z++)
		if (va < MKVM_ZONE_STACK_TOP(z) && va >= MKVM_ZONE_STACK_TOP(z) - MKVM_ZONE_STACK_MAX)
			return MKVM_ZONE_KEY(z);
	return MKVM_ZONE_KEY(seg ? MKVM_ZONE_OF_PF(seg->flags) : 0);
}

/* Are the gate page, its state and the zones' stacks at va? */
static unsigned zone_page_rights(const struct prog *p, uint64_t va)
{
	if (va == MKVM_ZONE_GATE_VA)
		return L4_R | L4_X;
	if (va == MKVM_ZONE_DATA_VA)
		return L4_R | L4_W;
	return page_key(p, NULL, va) > MKVM_ZONE_KEY(0) ? L4_R | L4_W : 0;
}

/* May the executable page at va of img (its file contents in the image's
 * frame) be mapped to a zone program? Checked once per image
 * frame, with the bytes that follow it if the next page is executable. */
static bool code_clean(struct image *img, uint64_t va, uint64_t frame)
{
	uint8_t *st = &img->code[(va - MKVM_PROG_BASE) / 4096], next[ZSCAN_WINDOW - 1] = { 0 };
	if (*st)
		return *st == CODE_CLEAN;
	const struct elf64_phdr *ns = segment_of(img, va + 4096);
	size_t nnext = 0;
	if (ns && (ns->flags & PF_X)) {
		uint64_t off = va + 4096 - ns->vaddr;
		nnext = sizeof(next);
		for (size_t i = 0; i < nnext && off + i < ns->filesz; i++)
			next[i] = img->elf[ns->offset + off + i];
	}
	*st = zscan((const uint8_t *)frame, 4096, next, nnext) < 0 ? CODE_CLEAN : CODE_REFUSED;
	return *st == CODE_CLEAN;
}

/* Registers p's zone entries with the kernel before p starts. */
static int zones_register(struct prog *p)
{
	struct image *img = p->img;
	if (!(l4_kinfo() & L4_KINFO_PKU)) {
		printf("root: %s: no PKU on this CPU: zones unavailable\n", p->cfg.name);
		return L4_EINVAL;
	}
	if (!zones_prepare(img, p->cfg.zones_kernel)) {
		printf("root: %s: malformed zones (entry tables)\n", p->cfg.name);
		return L4_EINVAL;
	}
	int err = 0;
	for (unsigned e = 1; e <= img->nentries && p->cfg.zones_kernel && !err; e++)
		err = l4_zone_control(p->tid, e, zone_kstub_ip(e), zone_pkru(img->fzone[e - 1], img->nzones),
				      MKVM_ZONE_STACK_TOP(img->fzone[e - 1]));
	return err ? err : l4_zone_control(p->tid, 0, 0, zone_pkru(0, img->nzones), 0);
}

/* A protection-key fault of p (the exception message in mr): inside a zone
 * entry, reported, and that zone call ends with MKVM_ZONE_FAULTED (the
 * reply in mr); false if p must end. */
static bool zone_fault(struct prog *p, uint64_t *mr)
{
	if (!p->cfg.zones || mr[1] != 14 || !(mr[2] & L4_PF_ERROR_PK))
		return false;
	uint64_t ip = mr[3], sp = mr[4], addr = mr[6 + L4_EXC_GPRS];
	const struct elf64_phdr *seg = segment_of(p->img, ip);
	unsigned z = seg ? MKVM_ZONE_OF_PF(seg->flags) : 0;
	struct page *state = page_of(p, MKVM_ZONE_DATA_VA);
	bool in_gate = state && *(const uint64_t *)PAGE_PA(state);
	if (z == 0 || (!p->cfg.zones_kernel && !in_gate))
		return false;
	printf("root: %s: protection-key fault: zone %u %s %lx (key %u) at ip %lx; its call fails\n",
	       p->cfg.name, z, mr[2] & 2 ? "wrote" : "read", addr,
	       page_key(p, segment_of(p->img, addr & ~0xfffull), addr & ~0xfffull), ip);
	mr[0] = L4_TAG(0, 2, 0);
	mr[1] = zone_abort_ip(in_gate);
	mr[2] = sp;
	return true;
}

/* Creates p's space and first thread (pager and exception handler: the
 * program server) and starts it at ip with sp and rdi; an error, after
 * which p has ended as MKVM_END_CRASHED. */
static int space_start(struct prog *p, uint64_t ip, uint64_t sp, uint64_t rdi)
{
	int err = l4_thread_control_kmem(p->tid, p->tid, programs_server, MKVM_PROG_UTCB, programs_server,
					 p->cfg.privileged ? L4_TC_PRIVILEGED : 0, p->cfg.kmem);
	struct mkvm_prog_info *info = (void *)p->info_pa;
	if (!err && p->cfg.irq_msi) {
		uint64_t line, data, addr;
		err = l4_irq_attach_msi(p->tid, &line, &data, &addr);
		info->irq_line = line;
		info->msi_data = data;
		info->msi_addr = addr;
		info->flags |= MKVM_PROG_HAS_IRQ;
	}
	if (!err && p->cfg.zones)
		err = zones_register(p);
	if (!err)
		l4_debug_name(p->tid, p->cfg.name);
	uint64_t *mr = l4_utcb()->mr;
	mr[0] = L4_TAG(0, 3, 0);
	mr[1] = ip;
	mr[2] = sp;
	mr[3] = rdi;
	if (!err && !(err = l4_send(p->tid, 0))) {
		p->state = P_STARTING;
		return 0;
	}
	prog_end(p, MKVM_END_CRASHED, (uint64_t)err, ip);
	return err;
}

/* Fills p's info page and starts it at its ELF entry. */
static void prog_start(struct prog *p)
{
	if (!p->info_pa && !(p->info_pa = frame_get())) {
		printf("root: no memory to start %s\n", p->cfg.name);
		return;
	}
	struct mkvm_prog_info *info = (void *)p->info_pa;
	memset(info, 0, sizeof(*info));
	info->root = programs_server;
	info->heap_base = p->img->heap_base;
	info->heap_end = p->img->heap_base + MKVM_PROG_HEAP_MAX;
	info->instance = ++p->instance;
	info->ecam = p->cfg.ecam ? bi->ecam_paddr : 0;
	memcpy(info->name, p->cfg.name, sizeof(info->name));
	memcpy(info->args, p->cfg.args, sizeof(info->args));
	memcpy(info->cmdline, bi->cmdline, sizeof(info->cmdline));
	p->copies = 0;
	space_start(p, p->img->entry, MKVM_PROG_STACK_TOP, MKVM_PROG_INFO);
}

/* Is va in p's persistent region (persist=N)? */
static bool in_region(const struct prog *p, uint64_t va)
{
	return va >= MKVM_PERSIST_BASE && va - MKVM_PERSIST_BASE < p->cfg.persist_pages * 4096ull;
}

/* The rights p's pager gives the page at va (seg: its segment, or NULL),
 * or 0 if va is none of p's memory. */
static unsigned page_rights(const struct prog *p, const struct elf64_phdr *seg, uint64_t va)
{
	if (va == MKVM_PROG_INFO)
		return L4_R;
	if (p->cfg.zones && !seg && zone_page_rights(p, va))
		return zone_page_rights(p, va);
	if (seg)
		return L4_R | (seg->flags & PF_W ? L4_W : 0) | (seg->flags & PF_X ? L4_X : 0);
	if (in_region(p, va))
		return L4_R | L4_W;
	if ((va >= MKVM_PROG_STACK_TOP - MKVM_PROG_STACK_MAX && va < MKVM_PROG_STACK_TOP) ||
	    (va >= p->img->heap_base && va < p->img->heap_base + MKVM_PROG_HEAP_MAX))
		return L4_R | L4_W;
	return 0;
}

/* The thread serving name, or 0. */
static uint64_t name_server(const char *name)
{
	for (unsigned i = 0; i < MAX_NAMES; i++)
		if (names[i].tid && !strcmp(names[i].name, name))
			return names[i].tid;
	return 0;
}

/* A fault of p in its persistent region (the region mapper): the
 * persistence server maps its frame for the page into the root task's
 * window for p (a closed receive from that server alone, with an acceptor
 * of exactly that page), and the reply maps it on to p with the rights the
 * server gave. The server's unmap of its frame (eviction, the write right
 * after a sync) reaches p's mapping through the window's. False if p must
 * end (no persistence server, or it refused or did not answer). */
static bool persist_fault(struct prog *p, uint64_t *mr, uint64_t addr, uint64_t ip)
{
	uint64_t off = (addr & ~0xfffull) - MKVM_PERSIST_BASE, srv = name_server("persist");
	uint64_t win = PERSIST_WINDOW + (uint64_t)(p - progs) * PERSIST_WINDOW_SIZE + off;
	int err = L4_ENOPARTNER;
	if (srv) {
		mr[0] = L4_TAG(MKVM_PERSIST_FAULT, 6, 0);
		mr[1] = off | (addr & L4_RWX);
		mr[2] = p->tid;
		mr[3] = p->cfg.persist_pages;
		memcpy(&mr[4], p->cfg.name, MKVM_NAME_MAX);
		l4_utcb()->acceptor = L4_FPAGE(win, 12, L4_RWX);
		err = l4_ipc(srv, srv, L4_TIMEOUTS(SERVER_TIMEOUT_US, SERVER_TIMEOUT_US), NULL);
		l4_utcb()->acceptor = 0;
	}
	if (err || L4_TAG_LABEL(mr[0]) != MKVM_PERSIST_OK || L4_TAG_T(mr[0]) != 2) {
		prog_end(p, MKVM_END_FAULT, addr, ip);
		return false;
	}
	unsigned rights = L4_FPAGE_RIGHTS(mr[2]) & (L4_R | L4_W);
	mr[0] = L4_TAG(0, 0, 2);
	mr[1] = (addr & ~0xfffull) | L4_ITEM_MAP;
	mr[2] = L4_FPAGE(win, 12, rights);
	return true;
}

/* A page fault of p at addr (low bits: the access) from ip: the reply's
 * map item in mr[], or false if the program must end. */
static bool prog_fault(struct prog *p, uint64_t *mr, uint64_t addr, uint64_t ip)
{
	uint64_t va = addr & ~0xfffull, access = addr & L4_RWX, pa = p->info_pa;
	const struct elf64_phdr *seg = segment_of(p->img, va);
	unsigned rights = page_rights(p, seg, va);
	if (!rights) {
		prog_end(p, MKVM_END_FAULT, addr, ip);
		return false;
	}
	if ((access & ~rights) != 0) {
		prog_end(p, access & L4_W ? MKVM_END_WRITE_RO : MKVM_END_EXEC_NX, addr, ip);
		return false;
	}
	if (p->cfg.zones && va == MKVM_ZONE_GATE_VA)
		pa = p->img->gate[p->cfg.zones_kernel];
	else if (in_region(p, va))
		return persist_fault(p, mr, addr, ip);
	else if (va != MKVM_PROG_INFO && !(pa = page_frame(p, seg, va, access, &rights))) {
		prog_end(p, p->npages >= p->cfg.max_pages ? MKVM_END_LIMIT : MKVM_END_NOMEM, addr, ip);
		return false;
	}
	if (p->cfg.zones && seg && (rights & L4_X) && !code_clean(p->img, va, pa)) {
		prog_end(p, MKVM_END_ZONE_CODE, addr, ip);
		return false;
	}
	mr[0] = L4_TAG(0, 0, 2);
	mr[1] = va | L4_ITEM_MAP | L4_ITEM_KEY(page_key(p, seg, va));
	mr[2] = L4_FPAGE(pa, 12, rights);
	return true;
}

/* ---- requests (shared/mkvm/root.h) ---- */

static void reply_error(uint64_t *mr, uint64_t err)
{
	mr[0] = L4_TAG(MKVM_ROOT_ERROR, 1, 0);
	mr[1] = err;
}

static void get_name(const uint64_t *mr, char *name)
{
	memcpy(name, &mr[1], MKVM_NAME_MAX);
	name[MKVM_NAME_MAX - 1] = 0;
}

static void do_register(struct prog *p, uint64_t *mr, uint64_t from)
{
	char name[MKVM_NAME_MAX];
	get_name(mr, name);
	if (!p || p->copy_of || strcmp(name, p->cfg.name)) {
		reply_error(mr, MKVM_ROOT_EPERM);
		return;
	}
	for (unsigned i = 0; i < MAX_NAMES; i++) {
		if (!names[i].tid || names[i].owner == p) {
			memcpy(names[i].name, name, sizeof(name));
			names[i].tid = from;
			names[i].owner = p;
			p->state = P_RUNNING;
			mr[0] = L4_TAG(MKVM_ROOT_OK, 0, 0);
			return;
		}
	}
	reply_error(mr, MKVM_ROOT_ENOMEM);
}

static void do_lookup(uint64_t *mr)
{
	char name[MKVM_NAME_MAX];
	get_name(mr, name);
	uint64_t tid = name_server(name);
	if (tid) {
		mr[0] = L4_TAG(MKVM_ROOT_OK, 1, 0);
		mr[1] = tid;
		return;
	}
	struct prog *p = prog_named(name);
	reply_error(mr, p && p->state == P_STARTING ? MKVM_ROOT_EAGAIN : MKVM_ROOT_ENOENT);
}

static void do_dma(struct prog *p, uint64_t *mr)
{
	uint64_t pa;
	if (!p->cfg.dma || p->npages >= p->cfg.max_pages || !(pa = frame_get())) {
		reply_error(mr, p->cfg.dma ? MKVM_ROOT_ENOMEM : MKVM_ROOT_EPERM);
		return;
	}
	page_record(p, MKVM_DMA_VA(pa), pa);
	mr[0] = L4_TAG(MKVM_ROOT_OK, 1, 2);
	mr[1] = pa;
	mr[2] = MKVM_DMA_VA(pa) | L4_ITEM_MAP;
	mr[3] = L4_FPAGE(pa, 12, L4_R | L4_W);
}

/* Is [base, base + size) device memory (above RAM, not the kernel's)? */
static bool is_devmem(uint64_t base, uint64_t size)
{
	if (base < ram_top || base + size < base)
		return false;
	for (uint64_t i = 0; i < bi->nfree; i++)
		if (base < bi->free[i].base + bi->free[i].size && bi->free[i].base < base + size)
			return false;
	return true;
}

static void do_map(struct prog *p, uint64_t *mr)
{
	uint64_t fp = mr[1];
	bool ok;
	if (L4_FPAGE_IS_IO(fp)) {
		uint64_t port = L4_FPAGE_PORT(fp), n = 1ull << L4_FPAGE_SIZE(fp);
		ok = false;
		for (unsigned i = 0; i < p->cfg.nio && L4_FPAGE_SIZE(fp) <= 16; i++)
			ok |= port >= p->cfg.io[i].port && port + n <= (uint64_t)p->cfg.io[i].port + p->cfg.io[i].count;
	} else {
		uint64_t base = L4_FPAGE_BASE(fp), size = 1ull << L4_FPAGE_SIZE(fp);
		ok = L4_FPAGE_SIZE(fp) >= 12 && L4_FPAGE_SIZE(fp) <= 22 && !(base & (size - 1)) &&
		     ((p->cfg.ecam && bi->ecam_paddr && base >= bi->ecam_paddr && base + size <= bi->ecam_paddr + (256ull << 20)) ||
		      (p->cfg.devmem && is_devmem(base, size)));
		fp = L4_FPAGE(base, L4_FPAGE_SIZE(fp), L4_FPAGE_RIGHTS(fp) & (L4_R | L4_W));
	}
	if (!ok || sigma0_request(fp)) {
		reply_error(mr, MKVM_ROOT_EPERM);
		return;
	}
	mr[0] = L4_TAG(MKVM_ROOT_OK, 0, 2);
	mr[1] = (L4_FPAGE_IS_IO(fp) ? 0 : L4_FPAGE_BASE(fp)) | L4_ITEM_MAP;
	mr[2] = fp;
}

/* May the program of space mr[1] drive the function of id mr[2]? If the
 * configuration says so; the root task (which holds every resource
 * anyway) always. The reply carries the program's MSI line, if it has one
 * (shared/mkvm/root.h). */
static void do_pci_check(struct prog *p, uint64_t *mr)
{
	struct prog *d = prog_of(mr[1]);
	if (!p->cfg.pci_admin || L4_TAG_U(mr[0]) < 2) {
		reply_error(mr, MKVM_ROOT_EPERM);
		return;
	}
	if (mr[1] == L4_ROOT_TID)
		mr[0] = L4_TAG(MKVM_ROOT_OK, 0, 0);
	else if (!d || (!d->cfg.pci_any && (!d->cfg.pci_id || d->cfg.pci_id != (uint32_t)mr[2])))
		reply_error(mr, MKVM_ROOT_EPERM);
	else if (!d->cfg.irq_msi || !(((const struct mkvm_prog_info *)d->info_pa)->flags & MKVM_PROG_HAS_IRQ))
		mr[0] = L4_TAG(MKVM_ROOT_OK, 0, 0);
	else {
		const struct mkvm_prog_info *info = (const void *)d->info_pa;
		mr[0] = L4_TAG(MKVM_ROOT_OK, 2, 0);
		mr[1] = info->msi_addr;
		mr[2] = info->msi_data;
	}
}

/* Forwards a crash order to the thread serving a name. */
static void do_crash(uint64_t *mr)
{
	char name[MKVM_NAME_MAX];
	get_name(mr, name);
	uint64_t how = mr[4];
	for (unsigned i = 0; i < MAX_NAMES; i++) {
		if (names[i].tid && !strcmp(names[i].name, name)) {
			mr[0] = L4_TAG(MKVM_PROG_CRASH, 1, 0);
			mr[1] = how;
			int err = l4_send(names[i].tid, 100000);
			mr[0] = err ? L4_TAG(MKVM_ROOT_ERROR, 1, 0) : L4_TAG(MKVM_ROOT_OK, 0, 0);
			mr[1] = MKVM_ROOT_EAGAIN;
			return;
		}
	}
	reply_error(mr, MKVM_ROOT_ENOENT);
}

static void do_ends(uint64_t *mr)
{
	char name[MKVM_NAME_MAX];
	get_name(mr, name);
	struct prog *p = prog_named(name);
	if (!p) {
		reply_error(mr, MKVM_ROOT_ENOENT);
		return;
	}
	mr[0] = L4_TAG(MKVM_ROOT_OK, 4, 0);
	mr[1] = p->ends;
	mr[2] = p->why;
	mr[3] = p->why_addr;
	mr[4] = p->status;
}

/* Starts a program that is not running (again) with the argument in
 * MR4..MR7. */
static void do_run(uint64_t *mr)
{
	char name[MKVM_NAME_MAX];
	get_name(mr, name);
	struct prog *p = prog_named(name);
	if (!p || p->state == P_STARTING || p->state == P_RUNNING) {
		reply_error(mr, p ? MKVM_ROOT_EAGAIN : MKVM_ROOT_ENOENT);
		return;
	}
	memcpy(p->cfg.args, &mr[4], 32);
	p->cfg.args[31] = 0;
	if (p->instance)
		p->tid = L4_TID(L4_TID_NUM(p->tid), L4_TID_VER(p->tid) + 1);
	prog_start(p);
	mr[0] = p->state == P_STARTING ? L4_TAG(MKVM_ROOT_OK, 0, 0) : L4_TAG(MKVM_ROOT_ERROR, 1, 0);
	mr[1] = MKVM_ROOT_ENOMEM;
}

/* A space copy of p (MKVM_ROOT_COPY, the fork pattern): a new space that
 * holds every page p holds, each frame now shared copy-on-write by both
 * (the write right taken from p's mapping and from what p mapped on from
 * it), with p's image; its first thread starts at mr[1] with sp mr[2] and
 * rdi mr[3]. DMA pages, devices and names are not copied. */
static void do_copy(struct prog *p, uint64_t *mr)
{
	uint64_t ip = mr[1], sp = mr[2], arg = mr[3];
	struct prog *c = NULL;
	for (unsigned i = MAX_PROGS; i < MAX_PROGS + MAX_COPIES && !c; i++)
		if (progs[i].state == P_FREE || progs[i].state == P_ENDED)
			c = &progs[i];
	if (!p->cfg.fork || p->copy_of || !c) {
		reply_error(mr, p->cfg.fork && !p->copy_of ? MKVM_ROOT_ENOMEM : MKVM_ROOT_EPERM);
		return;
	}
	for (unsigned i = 0; i < p->npages; i++)
		if (p->pages[i].va < MKVM_DMA_OFFSET && !cow_refs(PAGE_PA(&p->pages[i]), true)) {
			reply_error(mr, MKVM_ROOT_ENOMEM);
			return;
		}
	if (!c->info_pa && !(c->info_pa = frame_get())) {
		reply_error(mr, MKVM_ROOT_ENOMEM);
		return;
	}
	c->cfg = (struct prog_cfg){ .max_pages = p->cfg.max_pages, .kmem = p->cfg.kmem ? p->cfg.kmem : DEFAULT_KMEM };
	memcpy(c->cfg.name, p->cfg.name, sizeof(c->cfg.name));
	c->img = p->img;
	c->copy_of = p;
	c->tid = c->tid ? L4_TID(L4_TID_NUM(c->tid), L4_TID_VER(c->tid) + 1) : tid_alloc();
	c->instance = 1;
	c->copies = 0;
	pages_clear(c);
	struct mkvm_prog_info *info = (void *)c->info_pa;
	memcpy(info, (const void *)p->info_pa, sizeof(*info));
	info->irq_line = info->msi_addr = info->msi_data = info->flags = info->ecam = 0;
	info->instance = 1;
	for (unsigned i = 0; i < p->npages; i++) {
		struct page *pg = &p->pages[i];
		if (pg->va >= MKVM_DMA_OFFSET)
			continue;
		uint16_t *refs = cow_refs(PAGE_PA(pg), false);
		if (!(pg->pa & PAGE_COW)) {
			l4_unmap(L4_FPAGE(pg->pa, 12, L4_W), 0);
			pg->pa |= PAGE_COW;
			*refs = 1;
		}
		++*refs;
		page_record(c, pg->va, pg->pa);
	}
	if (space_start(c, ip, sp, arg)) {
		reply_error(mr, MKVM_ROOT_ENOMEM);
		return;
	}
	c->state = P_RUNNING;
	mr[0] = L4_TAG(MKVM_ROOT_OK, 1, 0);
	mr[1] = c->tid;
}

/* What the pager holds at the page mr[2] of the program of space mr[1]
 * (MKVM_ROOT_FRAME, shared/mkvm/root.h). */
static void do_frame(uint64_t *mr)
{
	struct prog *q = prog_of(mr[1]);
	if (!q) {
		reply_error(mr, MKVM_ROOT_ENOENT);
		return;
	}
	uint64_t va = mr[2] & ~0xfffull, pa = 0, kind = MKVM_FRAME_NONE, refs = 0;
	const struct elf64_phdr *seg = segment_of(q->img, va);
	struct page *pg = page_of(q, va);
	if (pg) {
		pa = PAGE_PA(pg);
		kind = pg->pa & PAGE_COW ? MKVM_FRAME_COW : MKVM_FRAME_PRIVATE;
		refs = pg->pa & PAGE_COW ? *cow_refs(pa, false) : 1;
	} else if (has_contents(seg, va) && (pa = q->img->frames[(va - MKVM_PROG_BASE) / 4096])) {
		kind = MKVM_FRAME_IMAGE;
	}
	mr[0] = L4_TAG(MKVM_ROOT_OK, 7, 0);
	mr[1] = pa;
	mr[2] = kind;
	mr[3] = refs;
	mr[4] = q->npages;
	mr[5] = q->copies;
	mr[6] = q->img->nframes;
	mr[7] = page_rights(q, seg, va);
}

/* Handles one message from thread `from` of space `space`; true if mr[]
 * holds a reply for from. */
static bool serve(uint64_t *mr, uint64_t from, uint64_t space)
{
	uint64_t label = L4_TAG_LABEL(mr[0]);
	struct prog *p = prog_of(space);
	if (label == L4_LABEL_PAGEFAULT)
		return p && prog_fault(p, mr, mr[1], mr[2]);
	if (label == L4_LABEL_EXCEPTION) {
		if (p && zone_fault(p, mr))
			return true;
		if (p)
			prog_end(p, MKVM_END_EXCEPTION, mr[1], mr[3]);
		return false;
	}
	if (label == MKVM_ROOT_LOOKUP) {
		if (L4_TAG_U(mr[0]) < 3)
			reply_error(mr, MKVM_ROOT_EINVAL);
		else
			do_lookup(mr);
		return true;
	}
	if (label == MKVM_ROOT_CRASH || label == MKVM_ROOT_RUN || label == MKVM_ROOT_ENDS ||
	    label == MKVM_ROOT_FRAME) {
		if (space != L4_ROOT_TID && !(p && p->cfg.supervise))
			reply_error(mr, MKVM_ROOT_EPERM);
		else if (L4_TAG_U(mr[0]) < (label == MKVM_ROOT_FRAME ? 2u : label == MKVM_ROOT_ENDS ? 3u : 4u))
			reply_error(mr, MKVM_ROOT_EINVAL);
		else if (label == MKVM_ROOT_CRASH)
			do_crash(mr);
		else if (label == MKVM_ROOT_RUN)
			do_run(mr);
		else if (label == MKVM_ROOT_FRAME)
			do_frame(mr);
		else
			do_ends(mr);
		return true;
	}
	if (!p) {
		reply_error(mr, MKVM_ROOT_EPERM);
		return true;
	}
	if (label == MKVM_ROOT_EXIT) {
		p->status = mr[1];
		prog_end(p, MKVM_END_EXIT, 0, 0);
		return false;
	}
	if (label == MKVM_ROOT_REGISTER && L4_TAG_U(mr[0]) >= 3)
		do_register(p, mr, from);
	else if (label == MKVM_ROOT_DMA)
		do_dma(p, mr);
	else if (label == MKVM_ROOT_MAP && L4_TAG_U(mr[0]) >= 1)
		do_map(p, mr);
	else if (label == MKVM_ROOT_PCI_CHECK)
		do_pci_check(p, mr);
	else if (label == MKVM_ROOT_COPY && L4_TAG_U(mr[0]) >= 3)
		do_copy(p, mr);
	else
		reply_error(mr, MKVM_ROOT_EINVAL);
	return true;
}

static void server(void)
{
	uint64_t *mr = l4_utcb()->mr, from, space;
	for (unsigned i = 0; i < nprogs; i++)
		if (config_autostart(&progs[i].cfg, bi->cmdline))
			prog_start(&progs[i]);
	int err = l4_ipc_space(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from, &space);
	for (;;) {
		if (err || !serve(mr, from, space)) {
			err = l4_ipc_space(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from, &space);
			continue;
		}
		uint64_t to = from, to_space = space, fault = mr[1] & ~0xfffull;
		err = l4_ipc_space(to, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from, &space);
		struct prog *p;
		if (err == L4_ENOMEM && (p = prog_of(to_space))) {
			/* the kernel had no memory for the mapping within p's limit */
			prog_end(p, MKVM_END_KMEM, fault, 0);
			err = l4_ipc_space(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from, &space);
		}
	}
}

/* A program of boot.cfg (line lineno): its ELF found and checked, it
 * joins progs[]. */
static void config_add(const struct prog_cfg *c, unsigned lineno)
{
	const uint8_t *mod = (const uint8_t *)bi->module_paddr;
	if (nprogs == MAX_PROGS || prog_named(c->name)) {
		printf("root: boot.cfg line %u: too many programs, or %s twice\n", lineno, c->name);
		return;
	}
	if (c->zones && c->fork) {      /* a copy would be one space without zones */
		printf("root: boot.cfg line %u: %s: zones and fork do not go together\n", lineno, c->name);
		return;
	}
	struct prog *p = &progs[nprogs];
	const char *file = c->elf[0] ? c->elf : c->name;
	uint64_t len;
	const uint8_t *elf = cpio_find(mod, bi->module_size, file, &len);
	struct image *img = images;
	while (img < images + nimages && img->elf != elf)
		img++;
	if (elf && img == images + nimages) {
		*img = (struct image){ .elf = elf, .elf_len = len };
		if (elf_check(img))
			nimages++;
		else
			img = NULL;
	}
	if (!elf || !img) {
		printf("root: boot.cfg line %u: %s is %s\n", lineno, file,
		       elf ? "not a valid program ELF" : "not in the boot module");
		return;
	}
	p->cfg = *c;
	p->img = img;
	p->tid = tid_alloc();
	if (config_autostart(c, bi->cmdline))
		p->state = P_STARTING;          /* the server starts it first thing */
	nprogs++;
}

int programs_start(const struct l4_bootinfo *info)
{
	bi = info;
	for (uint64_t i = 0; i < bi->nfree; i++) {
		uint64_t end = bi->free[i].base + bi->free[i].size;
		if (end <= (4ull << 30) && end > ram_top)
			ram_top = end;
	}
	uint64_t len;
	const char *cfg = (const char *)cpio_find((const uint8_t *)bi->module_paddr, bi->module_size,
						  "boot.cfg", &len);
	if (!cfg) {
		printf("root: the boot module has no boot.cfg\n");
		return -1;
	}
	config_parse(cfg, len, config_add);
	programs_server = thread_new_local(server, 0);
	if (!programs_server) {
		printf("root: cannot create the program server\n");
		return -1;
	}
	prog_root_server = programs_server;
	return (int)nprogs;
}

const char *program_name(uint64_t tid)
{
	for (unsigned i = 0; i < MAX_PROGS + MAX_COPIES; i++)
		if (progs[i].tid == tid && progs[i].state != P_ENDED)
			return progs[i].cfg.name;
	return NULL;
}

int programs_list(uint64_t *tid, const char **name, int max)
{
	int n = 0;
	for (unsigned i = 0; i < nprogs && n < max; i++)
		if (progs[i].state == P_STARTING || progs[i].state == P_RUNNING)
			tid[n] = progs[i].tid, name[n++] = progs[i].cfg.name;
	return n;
}

int program_run(const char *name, const char *arg)
{
	return root_request(MKVM_ROOT_RUN, name, arg, strlen(arg)) ? -1 : 0;
}

int program_crash(const char *name, uint64_t how)
{
	struct prog *p = prog_named(name);
	uint64_t ends = p ? p->ends : 0;
	if (!p || root_request(MKVM_ROOT_CRASH, name, &how, sizeof(how)))
		return -1;
	/* until it has ended and its next instance serves (or it is gone):
	 * the lines it and we print then all come before the caller's */
	for (uint64_t t0 = l4_clock_us(); l4_clock_us() - t0 < SERVER_TIMEOUT_US; )
		if (p->ends > ends && p->state != P_STARTING)
			return 0;
		else
			l4_receive(l4_myself(), 10000, NULL);   /* 10 ms */
	return -1;
}

void programs_wait_for(const char *name)
{
	struct prog *p = prog_named(name);
	while (p && (p->state == P_STARTING || p->state == P_RUNNING))
		l4_receive(l4_myself(), 10000, NULL);   /* 10 ms */
}

void programs_wait(void)
{
	for (unsigned i = 0; i < nprogs; i++)
		while (progs[i].cfg.wait && (progs[i].state == P_STARTING || progs[i].state == P_RUNNING))
			l4_receive(l4_myself(), 10000, NULL);   /* 10 ms */
}
