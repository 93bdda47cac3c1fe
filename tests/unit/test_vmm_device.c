/* The self-declared devices (device.h): all four are in the mkvm_devices
 * section, listed in their set-up order, with their options, settings and
 * libvirt elements. */
#include <string.h>
#include "config/domain.h"
#include "device.h"
#include "unit.h"

TEST(vmm_device_list)
{
	static const char *const want[] = { "disk", "net", "console", "rng" };
	static const char *const elem[] = { "disk", "interface", "console", "rng" };
	const struct device_decl *devs[DEVICE_MAX];
	int n = device__list(devs);

	REQUIRE(n == 4);
	for (int i = 0; i < n; i++) {
		CHECK(!strcmp(devs[i]->option, want[i]));
		CHECK(devs[i]->parse && devs[i]->init && devs[i]->help);
		CHECK(devs[i]->settings && devs[i]->reset);
		REQUIRE(devs[i]->domain != NULL);
		CHECK(!strcmp(devs[i]->domain->name, elem[i]) && devs[i]->domain->parse);
		CHECK(device__find(want[i]) == devs[i]);
		CHECK(i == 0 || devs[i - 1]->order < devs[i]->order);
	}
}
