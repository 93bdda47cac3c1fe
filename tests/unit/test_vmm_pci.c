/* The PCI core through its config-space and BAR paths (no VM: MSI-X
 * delivery is only recorded in the PBA here). */
#include <string.h>

#include "io.h"
#include "layout.h"
#include "pci/pci.h"
#include "buses.h"
#include "unit.h"

static uint32_t cfg_read(int slot, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	pci__cfg_access(&test_pci, slot, 0, off, (uint8_t *)&v, len, false);
	return v;
}

static void cfg_write(int slot, uint32_t off, uint32_t v)
{
	pci__cfg_access(&test_pci, slot, 0, off, (uint8_t *)&v, 4, true);
}

static uint8_t last_bar_write[4];
static uint64_t last_bar_off;

static void dev_bar(struct pci_device *d, int bar, uint64_t off, uint8_t *data,
		    uint32_t len, bool is_write)
{
	(void)d; (void)bar;
	last_bar_off = off;
	if (is_write)
		memcpy(last_bar_write, data, len < 4 ? len : 4);
	else
		memset(data, 0x5a, len);
}

static int bar_changes[6];

static void dev_bar_changed(struct pci_device *d, int bar)
{
	(void)d;
	bar_changes[bar]++;
}

static struct pci_device dev = {
	.bar_changed = dev_bar_changed,
	.vendor_id = 0x1af4, .device_id = 0x1044, .class_code = 0xff0000,
	.bar = { [0] = { .size = 0x1000 }, [2] = { .size = 0x20, .io = true } },
	.bar_access = dev_bar, .msix_vectors = 3, .msix_bar = 1,
};

static int slot = -1;

static void setup(void)
{
	if (slot >= 0)
		return;
	if (pci__init(&test_pci, &test_io, &test_irq) == 0)
		slot = pci__register(&test_pci, &dev);
}

TEST(vmm_pci_host_bridge_and_absent_devices)
{
	setup();
	REQUIRE(slot > 0);
	CHECK(cfg_read(0, 0, 2) == 0x1b36);
	CHECK(cfg_read(0, 0x08, 4) >> 8 == 0x060000);   /* host bridge class */
	CHECK(cfg_read(31, 0, 4) == 0xffffffff);         /* empty slot */
	CHECK(cfg_read(0, 0, 4) != 0xffffffff);
	uint32_t v = 0;
	pci__cfg_access(&test_pci, slot, 1, 0, (uint8_t *)&v, 4, false);  /* function 1 */
	CHECK(v == 0xffffffff);
}

TEST(vmm_pci_ecam_and_cf8)
{
	uint32_t v = 0, addr;

	setup();
	REQUIRE(slot > 0);
	/* ECAM: bus 0, device slot, function 0, register 0. */
	io__access(&test_io, NULL, IO_MMIO, PCI_ECAM_START + ((uint64_t)slot << 15), (uint8_t *)&v, 4, false);
	CHECK(v == (0x1044u << 16 | 0x1af4));
	io__access(&test_io, NULL, IO_MMIO, PCI_ECAM_START + (30u << 15), (uint8_t *)&v, 4, false);
	CHECK(v == 0xffffffff);
	/* Legacy mechanism #1. */
	addr = 0x80000000u | (uint32_t)slot << 11;
	io__access(&test_io, NULL, IO_PIO, 0xcf8, (uint8_t *)&addr, 4, true);
	io__access(&test_io, NULL, IO_PIO, 0xcfc, (uint8_t *)&v, 4, false);
	CHECK(v == (0x1044u << 16 | 0x1af4));
	uint16_t hi = 0;
	io__access(&test_io, NULL, IO_PIO, 0xcfe, (uint8_t *)&hi, 2, false);
	CHECK(hi == 0x1044);
	addr &= ~0x80000000u;                             /* disabled */
	io__access(&test_io, NULL, IO_PIO, 0xcf8, (uint8_t *)&addr, 4, true);
	io__access(&test_io, NULL, IO_PIO, 0xcfc, (uint8_t *)&v, 4, false);
	CHECK(v == 0xffffffff);
}

TEST(vmm_pci_bar_sizing_and_decoding)
{
	uint32_t bar0, v;

	setup();
	REQUIRE(slot > 0);
	bar0 = cfg_read(slot, 0x10, 4);
	CHECK(bar0 >= PCI_MMIO_START && bar0 % 0x1000 == 0);
	CHECK(pci__bar_address(&dev, 0) == bar0);
	CHECK((cfg_read(slot, 0x18, 4) & 1) == 1);      /* BAR2 is I/O */
	CHECK(cfg_read(slot, 0x14 + 8, 4) == 0);       /* BAR3 unused */
	/* Sizing: all ones reads back the size mask, read-only for unused BARs. */
	cfg_write(slot, 0x10, 0xffffffff);
	CHECK(cfg_read(slot, 0x10, 4) == 0xfffff000);
	cfg_write(slot, 0x1c, 0xffffffff);
	CHECK(cfg_read(slot, 0x1c, 4) == 0);
	cfg_write(slot, 0x10, bar0);
	CHECK(cfg_read(slot, 0x10, 4) == bar0);
	/* An access inside BAR0 reaches the device at the right offset. */
	v = 0;
	io__access(&test_io, NULL, IO_MMIO, bar0 + 0x24, (uint8_t *)&v, 4, false);
	CHECK(v == 0x5a5a5a5a && last_bar_off == 0x24);
	/* Memory decoding off: the BAR no longer answers. */
	uint32_t cmd = cfg_read(slot, 0x04, 2);
	cfg_write(slot, 0x04, cmd & ~2u);
	io__access(&test_io, NULL, IO_MMIO, bar0 + 0x24, (uint8_t *)&v, 4, false);
	CHECK(v == 0xffffffff);
	cfg_write(slot, 0x04, cmd);
	/* The device hears about moves and decoding changes, not rewrites. */
	memset(bar_changes, 0, sizeof(bar_changes));
	cfg_write(slot, 0x10, bar0);
	CHECK(bar_changes[0] == 0);
	cfg_write(slot, 0x10, bar0 + 0x10000);
	CHECK(bar_changes[0] == 1 && pci__bar_address(&dev, 0) == bar0 + 0x10000);
	CHECK(pci__bar_enabled(&dev, 0));
	cfg_write(slot, 0x04, cmd & ~2u);
	CHECK(bar_changes[0] == 2 && !pci__bar_enabled(&dev, 0));
	CHECK(bar_changes[2] == 0);                     /* I/O BAR untouched */
	cfg_write(slot, 0x04, cmd);
	cfg_write(slot, 0x10, bar0);
	CHECK(bar_changes[0] == 4);
	/* An 8-byte ECAM read straddling offset 256 stays inside config space. */
	uint64_t q = ~0ull;
	io__access(&test_io, NULL, IO_MMIO, PCI_ECAM_START + ((uint64_t)slot << 15) + 252,
		   (uint8_t *)&q, 8, false);
	CHECK(q >> 32 == 0);
	/* Read-only header fields stay put. */
	cfg_write(slot, 0x00, 0);
	CHECK(cfg_read(slot, 0x00, 2) == 0x1af4);
}

TEST(vmm_pci_msix_capability_and_table)
{
	uint32_t v;

	setup();
	REQUIRE(slot > 0);
	CHECK(cfg_read(slot, 0x06, 2) & 0x10);          /* capability list */
	uint32_t cap = cfg_read(slot, 0x34, 1);
	REQUIRE(cap >= 0x40);
	CHECK(cfg_read(slot, cap, 1) == 0x11);
	CHECK((cfg_read(slot, cap + 2, 2) & 0x7ff) == 2);  /* 3 vectors */
	CHECK((cfg_read(slot, cap + 4, 4) & 7) == 1);      /* table in BAR1 */
	uint32_t table = pci__bar_address(&dev, 1);
	REQUIRE(table);
	/* Vectors start masked; a notify while masked sets the PBA bit. */
	io__access(&test_io, NULL, IO_MMIO, table + 16 * 1 + 12, (uint8_t *)&v, 4, false);
	CHECK(v & 1);
	pci__msix_notify(&dev, 1);
	uint32_t pba_off = cfg_read(slot, cap + 8, 4) & ~7u;
	io__access(&test_io, NULL, IO_MMIO, table + pba_off, (uint8_t *)&v, 4, false);
	CHECK(v == 2);
	/* Program and unmask with MSI-X enabled: the pending bit clears. */
	v = 0xfee00000;
	io__access(&test_io, NULL, IO_MMIO, table + 16, (uint8_t *)&v, 4, true);
	cfg_write(slot, cap, cfg_read(slot, cap, 4) | 0x80000000u);
	v = 0;
	io__access(&test_io, NULL, IO_MMIO, table + 16 + 12, (uint8_t *)&v, 4, true);
	io__access(&test_io, NULL, IO_MMIO, table + pba_off, (uint8_t *)&v, 4, false);
	CHECK(v == 0);
	pci__msix_notify(&dev, 7);                       /* out of range: ignored */
	CHECK(dev.msix_pending == 0);
}
