/* Power management: the ACPI PM1a event/control blocks the FADT points at,
 * the FADT reset register (0xcf9) and the 8042 reset command (0xfe to port
 * 0x64). Entering S5 (SLP_TYP 5 with SLP_EN) or a reset ends the run with
 * status 0: mkvm has no reboot, a reset request means the guest is done.
 *
 * The PM1a event block (ACPI 6.4 section 4.8.3.1) is PM1_STS (2 bytes)
 * then PM1_EN (2 bytes). PM1_EN keeps what the guest writes to its defined
 * bits: an OS enables GBL_EN for the global lock and reads it back.
 * PM1_STS reads 0: nothing in mkvm raises a fixed event (no PM timer, no
 * fixed power or sleep button, no RTC alarm, no wake), so its
 * write-1-to-clear bits never have anything to clear. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mkvm/testexit.h>

#include "devices/devices.h"
#include "io.h"
#include "layout.h"
#include "vcpu.h"
#include "vm.h"

#define PM1_CNT_SCI_EN   0x0001
#define PM1_CNT_SLP_EN   0x2000
#define PM1_CNT_SLP_TYP(v) (((v) >> 10) & 7)
#define S5_SLP_TYP       5           /* the DSDT's \_S5 value */
#define KBD_CMD_PORT     0x64
#define KBD_CMD_RESET    0xfe
/* PM1_EN: TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN, PCIEXP_WAKE_DIS */
#define PM1_EN_DEFINED   0x4721
#define PM1_EN_OFFSET    2

/* The registers that hold state: the PM1a event block. */
struct pm {
	pthread_mutex_t lock;
	uint8_t evt[4];              /* PM1_STS, PM1_EN, little-endian */
};

static void pm__evt(struct vcpu *vcpu, uint64_t addr, uint8_t *data,
		    uint32_t len, bool is_write, void *opaque)
{
	struct pm *pm = opaque;
	uint32_t off = (uint32_t)(addr - PM1A_EVT_PORT);
	const uint8_t en_mask[2] = { PM1_EN_DEFINED & 0xff, PM1_EN_DEFINED >> 8 };

	(void)vcpu;
	if (!is_write)
		memset(data, 0, len);
	pthread_mutex_lock(&pm->lock);
	for (uint32_t i = 0; i < len && off + i < sizeof(pm->evt); i++) {
		uint32_t o = off + i;

		if (!is_write)
			data[i] = pm->evt[o];
		else if (o >= PM1_EN_OFFSET)
			pm->evt[o] = data[i] & en_mask[o - PM1_EN_OFFSET];
	}
	pthread_mutex_unlock(&pm->lock);
}

static void pm__cnt(struct vcpu *vcpu, uint64_t addr, uint8_t *data,
		    uint32_t len, bool is_write, void *opaque)
{
	uint16_t v = 0;

	(void)opaque;
	if (!is_write) {
		/* ACPI is always enabled: SCI_EN reads 1. */
		v = addr == PM1A_CNT_PORT ? PM1_CNT_SCI_EN : 0;
		memcpy(data, &v, len < 2 ? len : 2);
		return;
	}
	if (addr != PM1A_CNT_PORT || len < 2)
		return;
	memcpy(&v, data, 2);
	if ((v & PM1_CNT_SLP_EN) && PM1_CNT_SLP_TYP(v) == S5_SLP_TYP)
		vm__stop(vcpu->vm, MKVM_EXIT_SHUTDOWN);
}

static void pm__reset(struct vcpu *vcpu, uint64_t addr, uint8_t *data,
		      uint32_t len, bool is_write, void *opaque)
{
	(void)opaque; (void)len;
	if (!is_write) {
		data[0] = addr == KBD_CMD_PORT ? 0xff : 0;  /* no 8042 */
		return;
	}
	if ((addr == RESET_PORT && (data[0] & 0x04)) ||
	    (addr == KBD_CMD_PORT && data[0] == KBD_CMD_RESET)) {
		fprintf(stderr, "mkvm: guest requested a reset; stopping\n");
		vm__stop(vcpu->vm, MKVM_EXIT_SHUTDOWN);
	}
}

int pm__init(struct io_bus *io)
{
	struct pm *pm = calloc(1, sizeof(*pm));

	if (!pm)
		return -1;
	pthread_mutex_init(&pm->lock, NULL);
	if (io__register(io, IO_PIO, PM1A_EVT_PORT, 4, pm__evt, pm) ||
	    io__register(io, IO_PIO, PM1A_CNT_PORT, 2, pm__cnt, NULL) ||
	    io__register(io, IO_PIO, RESET_PORT, 1, pm__reset, NULL) ||
	    io__register(io, IO_PIO, KBD_CMD_PORT, 1, pm__reset, NULL))
		return -1;
	return 0;
}
