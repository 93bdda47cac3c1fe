/* "monitor" commands (qRcmd): the stub's own commands for what gdb has no
 * words for — physical memory, and looking into an address space other
 * than the one the selected vCPU is running in. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gdb/stub.h"

static const char help_text[] =
	"mkvm monitor commands:\n"
	"  phys on|off       m/M/X and breakpoints use guest-physical addresses\n"
	"  cr3 ADDR|off      translate virtual addresses through page tables at\n"
	"                    ADDR (another address space) instead of the\n"
	"                    selected vCPU's CR3\n"
	"  translate VADDR   show the guest-physical address of VADDR\n"
	"  status            show the current addressing mode\n"
	"  kdesc ADDR        the kernel's description is at ADDR\n"
	"                    (print &mkvm_kdebug_desc)\n"
	"  threads           list the kernel's threads\n"
	"  spaces            list the address spaces that have threads\n"
	"  space N           like cr3, with address space N's page tables\n";

/* Parses "on"/"off". */
static int onoff(const char *arg)
{
	if (!strcmp(arg, "on"))
		return 1;
	if (!strcmp(arg, "off"))
		return 0;
	return -1;
}

/* Parses one hex number (optional 0x) that must end the argument. */
static bool number(const char *arg, uint64_t *v)
{
	if (arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X'))
		arg += 2;
	return gdb_parse_hex(&arg, v) && !*arg;
}

/* Parses one decimal number that must end the argument. */
static bool decimal(const char *arg, uint64_t *v)
{
	char *end;

	if (*arg < '0' || *arg > '9')
		return false;
	errno = 0;
	*v = strtoull(arg, &end, 10);
	return !*end && !errno;
}

static void monitor__status(struct gdb_stub *s)
{
	char text[128];

	if (s->phys)
		snprintf(text, sizeof(text), "addresses are guest-physical\n");
	else if (s->cr3_override)
		snprintf(text, sizeof(text),
			 "addresses are virtual, through cr3 %#llx\n",
			 (unsigned long long)s->cr3);
	else
		snprintf(text, sizeof(text),
			 "addresses are virtual, through vCPU %u's cr3\n",
			 s->g_cpu);
	gdb_stub__console(s, text);
}

static void monitor__translate(struct gdb_stub *s, uint64_t va)
{
	uint64_t gpa, psize;
	char text[128];

	if (!gdb_mem__translate(s, va, &gpa, &psize)) {
		snprintf(text, sizeof(text), "%#llx: not mapped\n",
			 (unsigned long long)va);
	} else {
		snprintf(text, sizeof(text), "%#llx -> %#llx (%llu KiB page)\n",
			 (unsigned long long)va, (unsigned long long)gpa,
			 (unsigned long long)psize >> 10);
	}
	gdb_stub__console(s, text);
}

void gdb_monitor__run(struct gdb_stub *s, const char *cmd)
{
	char verb[16] = "", arg[64] = "", extra[2] = "";
	uint64_t v;
	int n = sscanf(cmd, "%15s %63s %1s", verb, arg, extra);
	int on;
	bool ok = true;

	if (n == 1 && !strcmp(verb, "help")) {
		gdb_stub__console(s, help_text);
	} else if (n == 1 && !strcmp(verb, "status")) {
		monitor__status(s);
	} else if (n == 2 && !strcmp(verb, "phys") && (on = onoff(arg)) >= 0) {
		s->phys = on;
		monitor__status(s);
	} else if (n == 2 && !strcmp(verb, "cr3") && !strcmp(arg, "off")) {
		s->cr3_override = false;
		monitor__status(s);
	} else if (n == 2 && !strcmp(verb, "cr3") && number(arg, &v)) {
		s->cr3_override = true;
		s->cr3 = v;
		monitor__status(s);
	} else if (n == 2 && !strcmp(verb, "translate") && number(arg, &v)) {
		monitor__translate(s, v);
	} else if (n == 2 && !strcmp(verb, "kdesc") && number(arg, &v)) {
		s->kdesc_set = true;
		s->kdesc = v;
	} else if (n == 1 && !strcmp(verb, "threads")) {
		ok = gdb_kdebug__threads(s);
	} else if (n == 1 && !strcmp(verb, "spaces")) {
		ok = gdb_kdebug__spaces(s);
	} else if (n == 2 && !strcmp(verb, "space") && decimal(arg, &v)) {
		ok = gdb_kdebug__select_space(s, v);
		if (ok)
			monitor__status(s);
	} else {
		gdb_stub__console(s, "unknown monitor command; try "
				     "\"monitor help\"\n");
		ok = false;
	}
	if (!ok) {
		snprintf(s->reply, sizeof(s->reply), "E16");
		s->reply_len = 3;
		return;
	}
	snprintf(s->reply, sizeof(s->reply), "OK");
	s->reply_len = 2;
}
