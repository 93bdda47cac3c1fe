/* Starts the two boot tasks from the cpio "newc" boot module: sigma0 (the
 * idempotent pager of all free memory) and the root task (privileged; its
 * pager is sigma0). Their ELF images are copied to their link addresses,
 * which are physical addresses in the boot-image area; everything else
 * in the archive is the root task's business. */
#include <mkvm/cpio.h>
#include <mkvm/elf.h>
#include "kernel.h"

#define BOOT_IMG_BASE (4ull << 20)
#define BOOT_IMG_END  (16ull << 20)

static uint64_t sigma0_text[2];

bool loader_is_sigma0_text(uint64_t pa)
{
	return pa >= sigma0_text[0] && pa < sigma0_text[1];
}

/* Copies the image's segments to their (physical = virtual) addresses;
 * x[] gets the page range of its executable segments. */
static uint64_t elf_load(const char *name, const uint8_t *img, uint64_t len, uint64_t x[2])
{
	const struct elf64_ehdr *eh = (const void *)img;
	if (len < sizeof(*eh) || memcmp(eh->ident, "\177ELF\2\1", 6) || eh->machine != 62 ||
	    eh->phentsize != sizeof(struct elf64_phdr) || eh->phoff > len ||
	    eh->phnum > (len - eh->phoff) / sizeof(struct elf64_phdr))
		panic("boot module: %s is not an x86-64 ELF executable", name);
	const struct elf64_phdr *ph = (const void *)(img + eh->phoff);
	for (int i = 0; i < eh->phnum; i++) {
		if (ph[i].type != PT_LOAD)
			continue;
		uint64_t va = ph[i].vaddr;
		if (va < BOOT_IMG_BASE || va >= BOOT_IMG_END || ph[i].memsz > BOOT_IMG_END - va ||
		    ph[i].filesz > ph[i].memsz || ph[i].offset > len || ph[i].filesz > len - ph[i].offset)
			panic("boot module: %s segment %d at %lx is outside the boot image area", name, i, va);
		if (ph[i].flags & PF_X) {
			if (!x[1] || va < x[0])
				x[0] = va & ~(PAGE_SIZE - 1);
			if (va + ph[i].memsz > x[1])
				x[1] = (va + ph[i].memsz + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		}
		memcpy(P2V(va), img + ph[i].offset, ph[i].filesz);
		memset((uint8_t *)P2V(va) + ph[i].filesz, 0, ph[i].memsz - ph[i].filesz);
	}
	return eh->entry;
}

static struct l4_bootinfo *bootinfo_page(void)
{
	struct l4_bootinfo *bi = page_alloc();
	if (!bi)
		panic("no memory for the boot info page");
	bi->module_paddr = boot.module_paddr;
	bi->module_size = boot.module_size;
	bi->rsdp_paddr = boot.rsdp;
	bi->ecam_paddr = ecam_base;
	memcpy(bi->cmdline, boot.cmdline, sizeof(bi->cmdline));
	/* free RAM: user frames above the boot images, minus the module */
	uint64_t mb = boot.module_paddr & ~(PAGE_SIZE - 1);
	uint64_t me = (boot.module_paddr + boot.module_size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	for (int i = 0; i < boot.nmem; i++) {
		uint64_t b = boot.mem[i].base, e = b + boot.mem[i].size;
		uint64_t cuts[][2] = { { 0, BOOT_IMG_END }, { kpool_base, kpool_end }, { mb, me } };
		/* split [b, e) around each cut; ranges are few, so keep it simple */
		uint64_t segs[8][2] = { { b, e } };
		int n = 1;
		for (size_t c = 0; c < ARRAY_SIZE(cuts); c++) {
			int m = n;
			for (int k = 0; k < m; k++) {
				uint64_t sb = segs[k][0], se = segs[k][1];
				if (cuts[c][1] <= sb || cuts[c][0] >= se)
					continue;
				segs[k][1] = cuts[c][0] > sb ? cuts[c][0] : sb;
				if (cuts[c][1] < se && n < 8) {
					segs[n][0] = cuts[c][1];
					segs[n][1] = se;
					n++;
				}
			}
		}
		for (int k = 0; k < n && bi->nfree < ARRAY_SIZE(bi->free); k++) {
			if (segs[k][1] > segs[k][0]) {
				bi->free[bi->nfree].base = segs[k][0];
				bi->free[bi->nfree].size = segs[k][1] - segs[k][0];
				bi->nfree++;
			}
		}
	}
	return bi;
}

static struct tcb *boot_task(uint64_t tid, const char *name, uint64_t pager,
			     struct l4_bootinfo *bi, const uint8_t *mod, uint64_t text[2])
{
	uint64_t len;
	const uint8_t *img = cpio_find(mod, boot.module_size, name, &len);
	if (!img)
		panic("boot module has no \"%s\"", name);
	uint64_t entry = elf_load(name, img, len, text);
	struct space *s = space_create();
	if (s)
		s->id = tid;
	int err;
	struct tcb *t = s ? thread_create(tid, s, pager, L4_BOOT_UTCB, &err) : NULL;
	if (!t || space_map_kernel_page(s, L4_BOOTINFO_ADDR, bi, false))
		panic("cannot create boot task %s", name);
	t->startup = t->kmsg = false;
	memcpy(t->name, name, strlen(name) + 1);       /* "sigma0", "root": for debuggers */
	mkvm_kdebug_named(t);
	t->frame->rip = entry;
	t->frame->rdi = L4_BOOTINFO_ADDR;
	t->state = T_READY;
	sched_ready(t);
	kprintf("boot: %s is thread %lx, entry %lx\n", name, tid, entry);
	return t;
}

void loader_start_boot_tasks(void)
{
	extern char kernel_end[];
	if (!boot.module_size)
		panic("no boot module (pass the servers' cpio archive as the initrd)");
	if (boot.module_paddr < BOOT_IMG_END && boot.module_paddr + boot.module_size > BOOT_IMG_BASE)
		panic("boot module at %lx+%lx overlaps the boot-task area %llx-%llx",
		      boot.module_paddr, boot.module_size, BOOT_IMG_BASE, BOOT_IMG_END);
	if ((uint64_t)kernel_end - KERNEL_VBASE > BOOT_IMG_BASE)
		panic("kernel image reaches into the boot-task area");
	const uint8_t *mod = P2V(boot.module_paddr);
	struct l4_bootinfo *bi = bootinfo_page();
	struct tcb *s0 = boot_task(L4_SIGMA0_TID, "sigma0", L4_NILTHREAD, bi, mod, sigma0_text);
	s0->space->sigma0 = true;
	s0->space->iobitmap = pages_alloc(2);   /* all zero: every port allowed */
	if (!s0->space->iobitmap)
		panic("no memory for sigma0's I/O bitmap");
	struct tcb *root = boot_task(L4_ROOT_TID, "root", L4_SIGMA0_TID, bi, mod, bi->root_text);
	root->space->privileged = true;
}
