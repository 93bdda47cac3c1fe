/* mkvm --domain: the libvirt domain subset (vmm/config/domain.c), what it
 * accepts and, with element and line, everything it refuses; the option. */
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config/domain.h"
#include "device.h"
#include "unit.h"
#include "virtio/blk.h"
#include "virtio/console.h"
#include "virtio/net.h"
#include "virtio/rng.h"

/* Each device's settings, reached through its declaration: the domain's
 * device elements go there. */
#define DISKS   ((const struct virtio_blk_settings *)device__find("disk")->settings)
#define NETS    ((const struct virtio_net_settings *)device__find("net")->settings)
#define CONSOLE ((const struct virtio_console_settings *)device__find("console")->settings)
#define RNG     ((const struct virtio_rng_settings *)device__find("rng")->settings)

/* The shape images/mkdomain.sh writes (images/domain.xml.in), with a TAP
 * interface where the template has libvirt's user-mode network. */
static const char release[] =
	"<!-- comment -->\n"
	"<domain type='qemu'>\n"
	"  <name>mkvm</name>\n"
	"  <uuid>6d6b766d-0000-4000-8000-000000000001</uuid>\n"
	"  <memory unit='MiB'>256</memory>\n"
	"  <vcpu>1</vcpu>\n"
	"  <os>\n"
	"    <type arch='x86_64' machine='q35'>hvm</type>\n"
	"    <kernel>/img/kernel.elf</kernel>\n"
	"    <initrd>/img/boot.cpio</initrd>\n"
	"    <cmdline>test &amp; more</cmdline>\n"
	"  </os>\n"
	"  <features><acpi/><apic/></features>\n"
	"  <cpu mode='maximum'/>\n"
	"  <on_poweroff>destroy</on_poweroff>\n"
	"  <on_reboot>destroy</on_reboot>\n"
	"  <on_crash>destroy</on_crash>\n"
	"  <devices>\n"
	"    <disk type='file' device='disk' model='virtio-non-transitional'>\n"
	"      <driver name='qemu' type='raw'/>\n"
	"      <source file='/img/disk.img'/>\n"
	"      <target dev='vda' bus='virtio'/>\n"
	"      <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>\n"
	"    </disk>\n"
	"    <interface type='ethernet'>\n"
	"      <mac address='52:54:00:6d:6b:76'/>\n"
	"      <target dev='mkvmtap0' managed='no'/>\n"
	"      <model type='virtio-non-transitional'/>\n"
	"    </interface>\n"
	"    <controller type='usb' model='none'/>\n"
	"    <controller type='virtio-serial' index='0' model='virtio-non-transitional'/>\n"
	"    <serial type='pty'>\n"
	"      <log file='/img/serial.log' append='off'/>\n"
	"      <target type='isa-serial' port='0'/>\n"
	"    </serial>\n"
	"    <console type='pty'><target type='virtio' port='0'/></console>\n"
	"    <rng model='virtio-non-transitional'>\n"
	"      <backend model='random'>/dev/urandom</backend>\n"
	"    </rng>\n"
	"    <memballoon model='none'/>\n"
	"  </devices>\n"
	"</domain>\n";

static int parse(struct domain *d, const char *xml, char *err, size_t errlen)
{
	return domain__parse_buffer(d, xml, strlen(xml), "t.xml", err, errlen);
}

/* A minimal domain with BODY spliced into it at line 3 (after <name>). */
static int parse_with(struct domain *d, const char *body, char *err, size_t errlen)
{
	char xml[4096];

	snprintf(xml, sizeof(xml), "<domain type='kvm'>\n<name>x</name>\n%s\n"
		 "<memory>65536</memory><os><kernel>k.elf</kernel></os></domain>", body);
	return parse(d, xml, err, errlen);
}

static bool refused(const char *body, const char *want)
{
	struct domain d;
	char err[300] = "";
	bool ok = parse_with(&d, body, err, sizeof(err)) == -1 && strstr(err, want);

	if (!ok)
		fprintf(stderr, "    body %s: error '%s', wanted '%s'\n", body, err, want);
	return ok && d.kernel == NULL;
}

TEST(domain_release_template)
{
	struct domain d;
	char err[300];

	REQUIRE(parse(&d, release, err, sizeof(err)) == 0);
	CHECK(!strcmp(d.name, "mkvm"));
	CHECK(!strcmp(d.kernel, "/img/kernel.elf"));
	CHECK(!strcmp(d.initrd, "/img/boot.cpio"));
	CHECK(!strcmp(d.cmdline, "test & more"));
	CHECK(!strcmp(d.serial_log, "/img/serial.log"));
	CHECK(d.mem == 256ull << 20 && d.cpus == 1);
	REQUIRE(DISKS->nr == 1);
	CHECK(!strcmp(DISKS->disks[0].path, "/img/disk.img") && !DISKS->disks[0].readonly);
	REQUIRE(NETS->nr == 1);
	CHECK(!strcmp(NETS->ifaces[0].spec, "tap=mkvmtap0"));
	CHECK(CONSOLE->on && RNG->on);
	domain__free(&d);
	CHECK(d.kernel == NULL && DISKS->nr == 0 && NETS->nr == 0);
}

TEST(domain_minimal_defaults)
{
	struct domain d;
	char err[300];

	REQUIRE(parse_with(&d, "", err, sizeof(err)) == 0);
	CHECK(d.mem == 64ull << 20);       /* no unit: KiB */
	CHECK(d.cpus == 1 && !d.initrd && !d.cmdline && !d.serial_log);
	CHECK(DISKS->nr == 0 && NETS->nr == 0 && !CONSOLE->on && !RNG->on);
	domain__free(&d);
}

TEST(domain_memory_units)
{
	static const struct { const char *unit; unsigned long long v, bytes; } t[] = {
		{ "b", 4194304, 4194304 }, { "bytes", 5000000, 5000000 },
		{ "KiB", 8192, 8ull << 20 }, { "k", 8192, 8ull << 20 },
		{ "M", 300, 300ull << 20 }, { "MB", 300, 300000000 },
		{ "GiB", 2, 2ull << 30 }, { "GB", 2, 2000000000 }, { "TiB", 1, 1ull << 40 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct domain d;
		char xml[400], err[300];

		snprintf(xml, sizeof(xml), "<domain type='kvm'><name>x</name><memory unit='%s'>%llu"
			 "</memory><os><kernel>k</kernel></os></domain>", t[i].unit, t[i].v);
		REQUIRE(parse(&d, xml, err, sizeof(err)) == 0);
		CHECK(d.mem == t[i].bytes);
		domain__free(&d);
	}
}

TEST(domain_devices_variants)
{
	struct domain d;
	char err[300];

	REQUIRE(parse_with(&d, "<vcpu placement='static'>4</vcpu><devices>"
			   "<emulator>/usr/bin/qemu-system-x86_64</emulator>"
			   "<disk type='file'><driver type='raw'/><source file='a.img'/>"
			   "<target dev='vda' bus='virtio'/><readonly/></disk>"
			   "<disk type='file' device='disk'><driver type='raw'/><source file='b.img'/>"
			   "<target dev='vdb' bus='virtio'/></disk>"
			   "<serial type='file'><source path='com1.log'/></serial>"
			   "<console type='pty'><target type='serial' port='0'/></console>"
			   "<controller type='pci' model='pcie-root'/>"
			   "</devices>", err, sizeof(err)) == 0);
	CHECK(d.cpus == 4);
	REQUIRE(DISKS->nr == 2);
	CHECK(!strcmp(DISKS->disks[0].path, "a.img") && DISKS->disks[0].readonly);
	CHECK(!strcmp(DISKS->disks[1].path, "b.img") && !DISKS->disks[1].readonly);
	CHECK(!strcmp(d.serial_log, "com1.log"));
	CHECK(!CONSOLE->on);                 /* target type='serial' is COM1 itself */
	domain__free(&d);
}

/* The release domain's TAP: libvirt creates it (managed='yes'), mkvm's
 * TUNSETIFF creates or attaches to it; both are --net tap=NAME. */
TEST(domain_interface_managed_tap)
{
	struct domain d;
	char err[300];

	REQUIRE(parse_with(&d, "<devices><interface type='ethernet'>"
			   "<target dev='mkvm0' managed='yes'/>"
			   "<model type='virtio-non-transitional'/></interface></devices>",
			   err, sizeof(err)) == 0);
	REQUIRE(NETS->nr == 1);
	CHECK(!strcmp(NETS->ifaces[0].spec, "tap=mkvm0"));
	domain__free(&d);
	CHECK(refused("<devices><interface type='ethernet'><target dev='t' managed='maybe'/>"
		      "</interface></devices>", "<target managed='maybe'> is not supported"));
}

TEST(domain_refuses_unsupported_elements_with_line)
{
	CHECK(refused("<devices><graphics type='vnc'/></devices>",
		      "t.xml:3: <graphics> in <devices> is not supported"));
	CHECK(refused("<clock offset='utc'/>", "t.xml:3: <clock> in <domain> is not supported"));
	CHECK(refused("<os><loader>/x</loader></os>", "<loader> in <os> is not supported"));
	CHECK(refused("<features><hyperv/></features>", "<hyperv> in <features>"));
	CHECK(refused("<cpu mode='custom'/>", "<cpu mode='custom'> is not supported"));
	CHECK(refused("<cpu mode='maximum'><model>EPYC</model></cpu>", "<model> in <cpu>"));
	CHECK(refused("<on_reboot>restart</on_reboot>", "<on_reboot>restart</on_reboot> is not supported"));
	CHECK(refused("<devices><disk type='file'><driver name='qemu' type='qcow2'/>"
		      "<source file='a'/><target dev='vda' bus='virtio'/></disk></devices>",
		      "<driver type='qcow2'> is not supported"));
	CHECK(refused("<devices><disk type='file'><driver type='raw'/><source file='a'/>"
		      "<target dev='sda' bus='sata'/></disk></devices>", "<target bus='sata'>"));
	CHECK(refused("<devices><disk type='block'/></devices>", "<disk type='block'>"));
	CHECK(refused("<devices><disk type='file'><driver type='raw'/>"
		      "<target dev='vda' bus='virtio'/></disk></devices>", "needs <source file="));
	CHECK(refused("<devices><interface type='network'/></devices>", "<interface type='network'>"));
	CHECK(refused("<devices>\n<interface type='user'/></devices>",
		      "t.xml:4: <interface type='user'> is not supported by mkvm: it has no "
		      "user-mode (NAT) network"));
	CHECK(refused("<devices><interface type='ethernet'><model type='e1000'/></interface></devices>",
		      "<model type='e1000'>"));
	CHECK(refused("<devices><interface type='ethernet'><target dev='t'/></interface></devices>",
		      "<target> needs managed='...'"));
	CHECK(refused("<devices><interface type='ethernet'/></devices>", "needs <target dev='TAP'"));
	CHECK(refused("<devices><serial type='tcp'/></devices>", "<serial type='tcp'>"));
	CHECK(refused("<devices><serial type='pty'><log file='l' append='on'/></serial></devices>",
		      "<log append='on'>"));
	CHECK(refused("<devices><rng model='virtio'><backend model='egd'/></rng></devices>",
		      "<backend model='egd'>"));
	CHECK(refused("<devices><rng model='virtio'><backend model='random'>/dev/hwrng"
		      "</backend></rng></devices>", "rng backend '/dev/hwrng'"));
	CHECK(refused("<devices><memballoon model='virtio'/></devices>", "<memballoon model='virtio'>"));
	CHECK(refused("<devices><controller type='scsi'/></devices>", "<controller type='scsi'>"));
	CHECK(refused("<devices><disk type='file' snapshot='no'/></devices>",
		      "attribute 'snapshot' of <disk> is not supported"));
	CHECK(refused("<currentMemory>1024</currentMemory>", "ballooning"));
	CHECK(refused("<vcpu>0</vcpu>", "<vcpu> must be 1 to"));
	CHECK(refused("<vcpu>two</vcpu>", "must be a decimal number, not 'two'"));
	CHECK(refused("<memory unit='furlong'>1</memory>", "unknown memory unit 'furlong'"));
	CHECK(refused("<os><kernel>k2</kernel></os>", "<kernel> given twice"));
	CHECK(refused("<os><type arch='aarch64'>hvm</type></os>", "<type arch='aarch64'>"));
}

TEST(domain_refuses_qemu_namespace)
{
	struct domain d;
	char err[300];
	const char *xml =
		"<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
		"<name>x</name><memory>65536</memory><os><kernel>k</kernel></os>\n"
		"<qemu:commandline><qemu:arg value='-gdb'/></qemu:commandline>\n</domain>";

	REQUIRE(parse(&d, xml, err, sizeof(err)) == -1);
	CHECK(strstr(err, "t.xml:3: <qemu:commandline>") != NULL);
}

TEST(domain_refuses_bad_documents)
{
	struct domain d;
	char err[300];

	CHECK(parse(&d, "<domain type='xen'><name>x</name></domain>", err, sizeof(err)) == -1);
	CHECK(strstr(err, "<domain type='xen'> is not supported") != NULL);
	CHECK(parse(&d, "<network><name>x</name></network>", err, sizeof(err)) == -1);
	CHECK(strstr(err, "root element is <network>") != NULL);
	CHECK(parse(&d, "<domain type='kvm'>\n<name>x</name>\n<memory>1", err, sizeof(err)) == -1);
	CHECK(strstr(err, "t.xml:3: not well-formed XML") != NULL);
	CHECK(parse(&d, "", err, sizeof(err)) == -1);
	CHECK(strstr(err, "not well-formed XML") != NULL);
	CHECK(parse(&d, "<domain type='kvm'><name>x</name><memory>1024</memory></domain>",
		    err, sizeof(err)) == -1);
	CHECK(strstr(err, "no <os><kernel>") != NULL);
	CHECK(parse(&d, "<domain type='kvm'><memory>1024</memory><os><kernel>k</kernel></os>"
		    "</domain>", err, sizeof(err)) == -1);
	CHECK(strstr(err, "no <name>") != NULL);
	CHECK(parse(&d, "<domain type='kvm'><name>x</name><os><kernel>k</kernel></os></domain>",
		    err, sizeof(err)) == -1);
	CHECK(strstr(err, "no <memory>") != NULL);
	CHECK(parse(&d, "<domain type='kvm'><name> </name><memory>1024</memory>"
		    "<os><kernel>k</kernel></os></domain>", err, sizeof(err)) == -1);
	CHECK(strstr(err, "<name> is empty") != NULL);
	/* A DOCTYPE is refused outright, with or without entities (external
	 * ones could read files, internal ones expand without bound). */
	CHECK(parse(&d, "<!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/passwd'><!ENTITY i 'in'>]>"
		    "<domain type='kvm'><name>&e;|&i;</name><memory>1024</memory>"
		    "<os><kernel>k</kernel></os></domain>", err, sizeof(err)) == -1);
	CHECK(strstr(err, "t.xml:1: a DOCTYPE (DTD or entity declarations) is not accepted") != NULL);
	CHECK(parse(&d, "<?xml version='1.0'?>\n<!DOCTYPE domain>\n<domain type='kvm'><name>x</name>"
		    "<memory>1024</memory><os><kernel>k</kernel></os></domain>",
		    err, sizeof(err)) == -1);
	CHECK(strstr(err, "t.xml:2: a DOCTYPE") != NULL);
	/* Without a DOCTYPE an entity reference is an undefined entity. */
	CHECK(parse(&d, "<domain type='kvm'><name>&e;</name><memory>1024</memory>"
		    "<os><kernel>k</kernel></os></domain>", err, sizeof(err)) == -1);
	CHECK(strstr(err, "not well-formed XML") != NULL);
}

/* One 64 KiB entity referenced 16,000 times would expand to 1 GB: refused
 * at once, without the expansion. */
TEST(domain_refuses_entity_expansion)
{
	static char xml[200000];
	struct domain d;
	char err[300];
	size_t n = 0;

	n += (size_t)snprintf(xml + n, sizeof(xml) - n, "<!DOCTYPE domain [<!ENTITY big '");
	for (int i = 0; i < 65536; i++)
		xml[n++] = 'A';
	n += (size_t)snprintf(xml + n, sizeof(xml) - n, "'>]>\n<domain type='kvm'><name>");
	while (n + 40 < sizeof(xml))
		n += (size_t)snprintf(xml + n, sizeof(xml) - n, "&big;");
	n += (size_t)snprintf(xml + n, sizeof(xml) - n, "</name></domain>");
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(domain__parse_buffer(&d, xml, n, "bomb.xml", err, sizeof(err)) == -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(strstr(err, "DOCTYPE") != NULL);
	CHECK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 500);
}

TEST(domain_file_errors)
{
	struct domain d;
	char err[300];

	struct config c;
	char *argv[] = { "mkvm", "--rng", "k.elf", NULL };

	REQUIRE(cli__parse(&c, 3, argv, err, sizeof(err)) == 0 && RNG->on);
	CHECK(domain__parse_file(&d, "/nonexistent/dom.xml", err, sizeof(err)) == -1);
	CHECK(strstr(err, "cannot open '/nonexistent/dom.xml'") != NULL);
	CHECK(d.kernel == NULL && !RNG->on);
}

TEST(domain_apply_to_config)
{
	struct domain d;
	struct config c = { 0 };
	char err[300];

	REQUIRE(parse_with(&d, "<vcpu>2</vcpu><devices><serial type='pty'>"
			   "<log file='com1.log'/></serial></devices>", err, sizeof(err)) == 0);
	REQUIRE(domain__apply(&d, &c, err, sizeof(err)) == 0);
	CHECK(!strcmp(c.kernel, "k.elf") && !c.initrd && !c.cmdline);
	CHECK(!strcmp(c.serial, "com1.log"));
	CHECK(c.mem == 64ull << 20 && c.cpus == 2);
	domain__free(&d);
}

/* mkvm's order: the command line (--domain), then the domain, whose
 * devices are in the devices' settings when it is applied. */
TEST(domain_apply_devices)
{
	struct domain d;
	struct config c;
	char err[300];
	char *argv[] = { "mkvm", "--domain", "x.xml", NULL };

	REQUIRE(cli__parse(&c, 3, argv, err, sizeof(err)) == 0);
	REQUIRE(parse(&d, release, err, sizeof(err)) == 0);
	REQUIRE(domain__apply(&d, &c, err, sizeof(err)) == 0);
	REQUIRE(DISKS->nr == 1 && NETS->nr == 1);
	CHECK(!strcmp(DISKS->disks[0].path, "/img/disk.img") && !DISKS->disks[0].readonly);
	CHECK(!strcmp(NETS->ifaces[0].spec, "tap=mkvmtap0"));
	CHECK(CONSOLE->on && RNG->on);
	CHECK(!strcmp(c.initrd, "/img/boot.cpio") && !strcmp(c.cmdline, "test & more"));
	domain__free(&d);
	CHECK(DISKS->nr == 0 && NETS->nr == 0 && !CONSOLE->on && !RNG->on);
}

/* A domain refused after some of its devices were read leaves none. */
TEST(domain_refused_leaves_no_devices)
{
	struct domain d;
	char err[300];

	CHECK(parse_with(&d, "<devices><disk type='file'><source file='/d.img'/>"
			 "<target dev='vda' bus='virtio'/></disk><rng model='virtio'/>"
			 "<console type='pty'><target type='virtio'/></console>"
			 "<graphics type='vnc'/></devices>", err, sizeof(err)) == -1);
	CHECK(strstr(err, "<graphics> in <devices> is not supported") != NULL);
	CHECK(DISKS->nr == 0 && !DISKS->disks[0].path && !RNG->on && !CONSOLE->on);
}

TEST(domain_apply_refuses_what_mkvm_cannot_do)
{
	struct domain d;
	struct config c = { 0 };
	char err[300];

	REQUIRE(parse_with(&d, "<vcpu>1000</vcpu>", err, sizeof(err)) == 0);
	CHECK(domain__apply(&d, &c, err, sizeof(err)) == -1 && strstr(err, "more than mkvm's"));
	CHECK(c.kernel == NULL);
	domain__free(&d);

	REQUIRE(parse_with(&d, "<memory unit='KiB'>1024</memory>", err, sizeof(err)) == -1);
	CHECK(strstr(err, "<memory> given twice") != NULL);
	REQUIRE(parse(&d, "<domain type='kvm'><name>x</name><memory unit='M'>1</memory>"
		      "<os><kernel>k</kernel></os></domain>", err, sizeof(err)) == 0);
	CHECK(domain__apply(&d, &c, err, sizeof(err)) == -1 && strstr(err, "out of range"));
	domain__free(&d);
}

TEST(domain_cli_option)
{
	static const char *const clash[] = { "k.elf", "--initrd=i", "--cmdline=c", "--serial=s",
					     "--mem=1G", "--cpus=2", "--disk=d.img", "--console", "--rng" };
	struct config c;
	char err[200];
	char *const ok[] = { "mkvm", "--domain", "d.xml", "--no-host-check", NULL };

	REQUIRE(cli__parse(&c, 4, ok, err, sizeof(err)) == 0);
	CHECK(!strcmp(c.domain, "d.xml") && !c.kernel && c.no_host_check);
	for (size_t i = 0; i < sizeof(clash) / sizeof(clash[0]); i++) {
		char *const argv[] = { "mkvm", "--domain=d.xml", (char *)clash[i], NULL };

		CHECK(cli__parse(&c, 3, argv, err, sizeof(err)) == -1 &&
		      strstr(err, "--domain gives the kernel"));
	}
}

TEST(domain_rate_limits)
{
	struct domain d;
	char err[300];

	REQUIRE(parse_with(&d, "<devices><disk type='file'><source file='/d.img'/>"
			   "<target dev='vda' bus='virtio'/><iotune><total_bytes_sec>1048576"
			   "</total_bytes_sec><total_iops_sec>200</total_iops_sec></iotune></disk>"
			   "<rng model='virtio'><backend model='random'>/dev/urandom</backend>"
			   "<rate bytes='1024' period='2000'/></rng></devices>",
			   err, sizeof(err)) == 0);
	CHECK(DISKS->disks[0].limit.bytes_per_s == 1048576 && DISKS->disks[0].limit.ops_per_s == 200);
	CHECK(RNG->limit.bytes_per_s == 512);
	domain__free(&d);
	CHECK(parse_with(&d, "<devices><rng model='virtio'><rate bytes='0'/></rng></devices>",
			 err, sizeof(err)) == -1);
	CHECK(strstr(err, "<rate> needs bytes='N', a number above 0") != NULL);
	CHECK(parse_with(&d, "<devices><disk type='file'><source file='/d.img'/>"
			 "<iotune><read_bytes_sec>5</read_bytes_sec></iotune></disk></devices>",
			 err, sizeof(err)) == -1);
	CHECK(strstr(err, "<read_bytes_sec>") != NULL);
}
