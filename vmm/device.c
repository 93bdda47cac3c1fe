/* The registry of self-declared devices (device.h). */
#include <string.h>

#include "device.h"

/* The linker defines these around the section when any object puts
 * something in it; weak, so a program without devices links too. The
 * section holds pointers, not the declarations themselves, so that the
 * compiler's alignment of large objects cannot put gaps between entries. */
extern const struct device_decl *const __start_mkvm_devices[] __attribute__((weak));
extern const struct device_decl *const __stop_mkvm_devices[] __attribute__((weak));

int device__list(const struct device_decl *out[DEVICE_MAX])
{
	int n = 0;

	for (const struct device_decl *const *p = __start_mkvm_devices;
	     p < __stop_mkvm_devices && n < DEVICE_MAX; p++) {
		int i = n++;

		for (; i > 0 && out[i - 1]->order > (*p)->order; i--)
			out[i] = out[i - 1];
		out[i] = *p;
	}
	return n;
}

const struct device_decl *device__find(const char *name)
{
	const struct device_decl *devs[DEVICE_MAX];
	int n = device__list(devs);

	for (int i = 0; i < n; i++)
		if (!strcmp(devs[i]->option, name))
			return devs[i];
	return NULL;
}

void device__reset_all(void)
{
	const struct device_decl *devs[DEVICE_MAX];
	int n = device__list(devs);

	for (int i = 0; i < n; i++)
		devs[i]->reset();
}
