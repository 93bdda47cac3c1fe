/* The PCI bus server: owns the ECAM, enumerates the functions, sizes their
 * BARs and hands each function's configuration page (read-only) and BAR
 * pages to the one driver that claims it (shared/mkvm/pci.h). Written from
 * the PCI Local Bus 3.0 and PCI Express Base specifications (configuration
 * header, BAR sizing, capability list, MSI-X, ECAM layout). Its ECAM and
 * the device memory of the BARs come from the root task (`ecam` and
 * `devmem` in boot.cfg), and it hands a function only to a driver the root
 * task says may drive it.
 *
 * A driver can move no BAR and program no interrupt itself: it never gets
 * a writable configuration page nor a page of its MSI-X table. The bus
 * server enables the function for it and writes its MSI-X entries with
 * the address and data of the MSI line the kernel allocated to the
 * driver's program, which it asks the root task for; so no device is
 * told an interrupt vector a driver chose. */
#include <mkvm/pci.h>
#include "../lib/prog.h"

#define MAX_FUNCS 64

struct func {
	uint16_t bdf;
	uint32_t id, class_rev;
	uint64_t cfg;                   /* its ECAM page, mapped 1:1 here */
	uint64_t bar[6], size[6];       /* base (bit 0: I/O), size; 0 if none */
	unsigned msix_cap;              /* its MSI-X capability's offset, or 0 */
	unsigned msix_n;                /* table entries */
	uint64_t msix_table;            /* the table's physical address */
	uint64_t owner;                 /* the claimer's space (shared/mkvm/abi.h), or 0 */
};

static struct func funcs[MAX_FUNCS];
static unsigned nfuncs;
static uint64_t ecam_base;

static volatile uint32_t *cfg32(uint64_t cfg, unsigned off) { return (volatile uint32_t *)(cfg + off); }
static volatile uint16_t *cfg16(uint64_t cfg, unsigned off) { return (volatile uint16_t *)(cfg + off); }
static uint8_t cfg8(uint64_t cfg, unsigned off) { return *(volatile uint8_t *)(cfg + off); }

/* Sizes BAR i (PCI 3.0, 6.2.5.1: write all ones, the read-back's
 * writable bits give the size) with decoding off; true if it is the lower
 * half of a 64-bit memory BAR. */
static bool bar_size(struct func *f, unsigned i, unsigned nbars)
{
	volatile uint32_t *r = cfg32(f->cfg, 0x10 + 4 * i);
	uint32_t lo = *r, hi = 0, mhi = 0;
	bool io = lo & 1, is64 = !io && (lo >> 1 & 3) == 2 && i + 1 < nbars;
	*r = 0xffffffff;
	uint32_t mlo = *r;
	*r = lo;
	if (is64) {
		hi = r[1];
		r[1] = 0xffffffff;
		mhi = r[1];
		r[1] = hi;
	}
	uint64_t mask, base;
	if (io) {
		/* an I/O BAR may hard-wire its upper 16 bits to 0 */
		mask = (mlo & ~3u) ? (uint32_t)(mlo & ~3u) | 0xffff0000u : 0;
		base = lo & ~3u;
	} else {
		mask = is64 ? (uint64_t)mhi << 32 | (mlo & ~0xfu)
			    : (mlo & ~0xfu) ? 0xffffffff00000000ull | (mlo & ~0xfu) : 0;
		base = (uint64_t)hi << 32 | (lo & ~0xfu);
	}
	if (mask) {
		f->bar[i] = base | io;
		f->size[i] = io ? (uint32_t)(~mask + 1) : ~mask + 1;
	}
	return is64;
}

/* Finds f's MSI-X capability (PCI 3.0, 6.8.2) and where its table lies.
 * The walk is bounded: a capability list may loop. A table outside a
 * memory BAR leaves the function without MSI-X here. */
static void msix_find(struct func *f)
{
	if (!(*cfg16(f->cfg, 6) & 0x10))
		return;
	unsigned p = cfg8(f->cfg, 0x34) & ~3u;
	for (unsigned n = 0; p >= 0x40 && n < 48; p = cfg8(f->cfg, p + 1) & ~3u, n++) {
		if (cfg8(f->cfg, p) != 0x11)
			continue;
		uint32_t table = *cfg32(f->cfg, p + 4);
		unsigned bir = table & 7, entries = (*cfg16(f->cfg, p + 2) & 0x7ff) + 1;
		uint64_t off = table & ~7u;
		if (bir > 5 || !f->size[bir] || (f->bar[bir] & 1) || off + 16ull * entries > f->size[bir]) {
			printf("pci: %02x:%02x.%x: MSI-X table outside its BAR; MSI-X not offered\n",
			       MKVM_PCI_BDF_BUS(f->bdf), MKVM_PCI_BDF_DEV(f->bdf), MKVM_PCI_BDF_FN(f->bdf));
			return;
		}
		f->msix_cap = p;
		f->msix_n = entries;
		f->msix_table = f->bar[bir] + off;
		return;
	}
}

/* Does the page at pa hold part of f's MSI-X table? */
static bool msix_page(const struct func *f, uint64_t pa)
{
	return f->msix_cap && pa < f->msix_table + 16ull * f->msix_n && f->msix_table < pa + 4096;
}

static void func_add(uint64_t cfg, unsigned bus, unsigned dev, unsigned fn)
{
	if (nfuncs == MAX_FUNCS) {
		printf("pci: more than %d functions; %02x:%02x.%x ignored\n", MAX_FUNCS, bus, dev, fn);
		return;
	}
	struct func *f = &funcs[nfuncs++];
	f->bdf = (uint16_t)(bus << 8 | dev << 3 | fn);
	f->cfg = cfg;
	f->id = *cfg32(cfg, 0);
	f->class_rev = *cfg32(cfg, 8);
	unsigned type = *cfg32(cfg, 0xc) >> 16 & 0x7f;
	unsigned nbars = type == 0 ? 6 : type == 1 ? 2 : 0;
	volatile uint16_t *cmd = (volatile uint16_t *)(cfg + 4);
	uint16_t saved = *cmd;
	*cmd = (uint16_t)(saved & ~3u);         /* no decoding while BARs read all ones */
	for (unsigned i = 0; i < nbars; i++)
		if (bar_size(f, i, nbars))
			i++;                    /* skip the upper half of a 64-bit BAR */
	*cmd = saved;
	msix_find(f);
	printf("pci: %02x:%02x.%x %04x:%04x class %06x", bus, dev, fn, f->id & 0xffff, f->id >> 16,
	       f->class_rev >> 8);
	for (unsigned i = 0; i < 6; i++)
		if (f->size[i])
			printf(" bar%u %s %lx+%lx", i, f->bar[i] & 1 ? "io" : "mem", f->bar[i] & ~(uint64_t)1, f->size[i]);
	if (f->msix_cap)
		printf(" msix %u at %lx", f->msix_n, f->msix_table);
	printf("\n");
}

/* Enumerates bus 0 and every bus behind a bridge. A bridge's secondary
 * bus is always numbered above its own, so one ascending pass finds them
 * all and a misprogrammed bridge cannot make it loop. Kept a function of
 * its own, so that a debugger can break on the server's start up. */
__attribute__((noinline)) static void enumerate(void)
{
	static uint8_t pending[256 / 8] = { 1 };
	for (unsigned bus = 0; bus < 256; bus++) {
		if (!(pending[bus / 8] >> (bus % 8) & 1))
			continue;
		uint64_t base = ecam_base + ((uint64_t)bus << 20);
		if (root_map(L4_FPAGE(base, 20, L4_R | L4_W))) {
			printf("pci: the root task refused bus %u's ECAM at %lx\n", bus, base);
			continue;
		}
		for (unsigned dev = 0; dev < 32; dev++) {
			for (unsigned fn = 0; fn < 8; fn++) {
				uint64_t cfg = base + ((uint64_t)dev << 15 | (uint64_t)fn << 12);
				if ((*cfg32(cfg, 0) & 0xffff) == 0xffff) {
					if (fn == 0)
						break;  /* no device: no functions either */
					continue;
				}
				uint32_t hdr = *cfg32(cfg, 0xc) >> 16;
				func_add(cfg, bus, dev, fn);
				if ((hdr & 0x7f) == 1) {
					unsigned sec = *cfg32(cfg, 0x18) >> 8 & 0xff;
					if (sec > bus)
						pending[sec / 8] |= (uint8_t)(1 << sec % 8);
				}
				if (fn == 0 && !(hdr & 0x80))
					break;          /* single-function device */
			}
		}
	}
	printf("pci: %u functions\n", nfuncs);
}

static void reply_error(uint64_t *mr, uint64_t err)
{
	mr[0] = L4_TAG(MKVM_PCI_ERROR, 1, 0);
	mr[1] = err;
}

static void info(const struct func *f, uint64_t *mr)
{
	mr[0] = f->bdf;
	mr[1] = f->id;
	mr[2] = f->class_rev;
	mr[3] = f->owner;
}

static bool matches(const struct func *f, uint64_t id, uint64_t class)
{
	uint32_t vendor = id & 0xffff, device = id >> 16 & 0xffff;
	return (vendor == 0xffff || vendor == (f->id & 0xffff)) &&
	       (device == 0xffff || device == f->id >> 16) &&
	       (class == MKVM_PCI_ANY_CLASS || class == f->class_rev >> 8);
}

/* Does the root task let the program of space t drive f
 * (MKVM_ROOT_PCI_CHECK)? A function's owner that no longer may (it ended)
 * loses it. If msi is not NULL, it must also have an MSI line, whose
 * address and data land in msi[0] and msi[1]. */
static bool may_drive_msi(uint64_t t, const struct func *f, uint64_t *msi)
{
	uint64_t *mr = l4_utcb()->mr, saved[3] = { mr[0], mr[1], mr[2] };
	mr[0] = L4_TAG(MKVM_ROOT_PCI_CHECK, 2, 0);
	mr[1] = t;
	mr[2] = f->id;
	bool ok = !l4_call(prog_info->root) && L4_TAG_LABEL(mr[0]) == MKVM_ROOT_OK;
	if (ok && msi) {
		ok = L4_TAG_U(mr[0]) >= 2;
		msi[0] = mr[1];
		msi[1] = mr[2];
	}
	mr[0] = saved[0], mr[1] = saved[1], mr[2] = saved[2];
	return ok;
}

static bool may_drive(uint64_t t, const struct func *f) { return may_drive_msi(t, f, NULL); }

static void claim(uint64_t *mr, uint64_t space)
{
	struct func *f = NULL;
	bool busy = false, denied = false;
	for (unsigned i = 0; i < nfuncs && !f; i++) {
		if (!matches(&funcs[i], mr[1], mr[2]))
			continue;
		if (funcs[i].owner && may_drive(funcs[i].owner, &funcs[i]))
			busy = true;
		else if (!may_drive(space, &funcs[i]))
			denied = true;
		else
			f = &funcs[i];
	}
	if (!f) {
		reply_error(mr, busy ? MKVM_PCI_EBUSY : denied ? MKVM_PCI_EPERM : MKVM_PCI_ENODEV);
		return;
	}
	f->owner = space;
	mr[0] = L4_TAG(MKVM_PCI_OK, MKVM_PCI_INFO_WORDS, 2);
	mr[1] = (uint64_t)(f - funcs) + 1;
	info(f, &mr[2]);                /* its owner word is overwritten next */
	for (unsigned i = 0; i < 6; i++) {
		mr[5 + 2 * i] = f->bar[i];
		mr[6 + 2 * i] = f->size[i];
	}
	mr[17] = f->cfg | L4_ITEM_MAP;
	mr[18] = L4_FPAGE(f->cfg, 12, L4_R);
}

/* The function of the handle in mr[1] if the caller's space claimed it
 * and the request has its u words; else NULL with the error in mr[]. */
static struct func *owned(uint64_t *mr, uint64_t space, unsigned u)
{
	uint64_t h = mr[1];
	if (L4_TAG_U(mr[0]) < u || !h || h > nfuncs) {
		reply_error(mr, MKVM_PCI_EINVAL);
		return NULL;
	}
	struct func *f = &funcs[h - 1];
	if (f->owner != space) {
		reply_error(mr, MKVM_PCI_EPERM);
		return NULL;
	}
	return f;
}

static void map(uint64_t *mr, uint64_t space)
{
	uint64_t bar = mr[2], off = mr[3];
	struct func *f = owned(mr, space, 3);
	if (!f)
		return;
	if (bar > 5 || !f->size[bar] || (f->bar[bar] & 1) || off >= f->size[bar]) {
		reply_error(mr, MKVM_PCI_EINVAL);
		return;
	}
	uint64_t page = (f->bar[bar] + off) & ~0xfffull;
	if (msix_page(f, page)) {
		reply_error(mr, MKVM_PCI_EPERM);
		return;
	}
	if (root_map(L4_FPAGE(page, 12, L4_R | L4_W))) {
		reply_error(mr, MKVM_PCI_EINVAL);
		return;
	}
	mr[0] = L4_TAG(MKVM_PCI_OK, 0, 2);
	mr[1] = page | L4_ITEM_MAP;
	mr[2] = L4_FPAGE(page, 12, L4_R | L4_W);
}

/* Memory space and bus mastering on, legacy INTx off (PCI 3.0, 6.2.2). */
static void enable(uint64_t *mr, uint64_t space)
{
	struct func *f = owned(mr, space, 1);
	if (!f)
		return;
	volatile uint16_t *cmd = cfg16(f->cfg, 4);
	*cmd = (uint16_t)(*cmd | 0x406);
	mr[0] = L4_TAG(MKVM_PCI_OK, 0, 0);
}

/* Writes MSI-X table entry mr[2] with the owner's MSI line (PCI 3.0,
 * 6.8.2.6-9: masked while it changes) and enables MSI-X with the function
 * mask off. The entry's page is mapped here, never to the driver. */
static void msix_route(uint64_t *mr, uint64_t space)
{
	uint64_t msi[2], n = mr[2];
	struct func *f = owned(mr, space, 2);
	if (!f)
		return;
	if (!f->msix_cap || n >= f->msix_n) {
		reply_error(mr, MKVM_PCI_EINVAL);
		return;
	}
	uint64_t entry = f->msix_table + 16 * n;
	if (!may_drive_msi(space, f, msi) || root_map(L4_FPAGE(entry & ~0xfffull, 12, L4_R | L4_W))) {
		reply_error(mr, MKVM_PCI_EPERM);
		return;
	}
	volatile uint32_t *e = (volatile uint32_t *)entry;
	e[3] |= 1;
	e[0] = (uint32_t)msi[0];
	e[1] = (uint32_t)(msi[0] >> 32);
	e[2] = (uint32_t)msi[1];
	e[3] &= ~1u;
	volatile uint16_t *ctl = cfg16(f->cfg, f->msix_cap + 2);
	*ctl = (uint16_t)((*ctl | 0x8000) & ~0x4000);
	mr[0] = L4_TAG(MKVM_PCI_OK, 0, 0);
}

int main(void)
{
	uint64_t *mr = l4_utcb()->mr, from, space;
	ecam_base = prog_info->ecam;
	if (ecam_base)
		enumerate();
	else
		printf("pci: no ECAM; no devices to hand out\n");
	if (name_register(prog_info->name))
		printf("pci: cannot register its name\n");
	int err = l4_ipc_space(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from, &space);
	for (;;) {
		if (err) {
			err = l4_ipc_space(L4_NILTHREAD, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from, &space);
			continue;
		}
		uint64_t label = L4_TAG_LABEL(mr[0]);
		if (label == MKVM_PCI_CLAIM && L4_TAG_U(mr[0]) >= 2) {
			claim(mr, space);
		} else if (label == MKVM_PCI_MAP) {
			map(mr, space);
		} else if (label == MKVM_PCI_ENABLE) {
			enable(mr, space);
		} else if (label == MKVM_PCI_MSIX_ROUTE) {
			msix_route(mr, space);
		} else if (label == MKVM_PCI_INFO && L4_TAG_U(mr[0]) >= 1) {
			if (mr[1] < nfuncs) {
				info(&funcs[mr[1]], &mr[1]);
				mr[0] = L4_TAG(MKVM_PCI_OK, 4, 0);
			} else {
				reply_error(mr, MKVM_PCI_ENODEV);
			}
		} else {
			reply_error(mr, MKVM_PCI_EINVAL);
		}
		err = l4_ipc_space(from, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), mr, &from, &space);
	}
}
