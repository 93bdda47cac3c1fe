/* The ELF/PVH loader: a good image is accepted and loaded; each kind of
 * malformed image is rejected with its specific reason. Images are built
 * here, in memory. */
#include <elf.h>
#include <string.h>

#include <mkvm/pvh.h>

#include "boot/elf.h"
#include "unit.h"

#define IMG_SIZE 4096
#define CODE_OFF 0x200
#define NOTE_OFF 0x180

struct img {
	uint8_t b[IMG_SIZE];
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;              /* ph[0] PT_LOAD, ph[1] PT_NOTE, ph[2] spare */
};

/* A valid kernel: one segment of 0x100 file bytes (memsz 0x1000) at 1 MiB,
 * PVH entry at 1 MiB + 0x10. */
static void make(struct img *m)
{
	memset(m->b, 0, sizeof(m->b));
	m->eh = (Elf64_Ehdr *)m->b;
	m->ph = (Elf64_Phdr *)(m->b + sizeof(Elf64_Ehdr));
	memcpy(m->eh->e_ident, ELFMAG, SELFMAG);
	m->eh->e_ident[EI_CLASS] = ELFCLASS64;
	m->eh->e_ident[EI_DATA] = ELFDATA2LSB;
	m->eh->e_ident[EI_VERSION] = EV_CURRENT;
	m->eh->e_type = ET_EXEC;
	m->eh->e_machine = EM_X86_64;
	m->eh->e_version = EV_CURRENT;
	m->eh->e_phoff = sizeof(Elf64_Ehdr);
	m->eh->e_ehsize = sizeof(Elf64_Ehdr);
	m->eh->e_phentsize = sizeof(Elf64_Phdr);
	m->eh->e_phnum = 2;
	m->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = CODE_OFF,
				 .p_paddr = 0x100000, .p_vaddr = 0x100000,
				 .p_filesz = 0x100, .p_memsz = 0x1000 };
	m->ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = NOTE_OFF, .p_filesz = 20 };

	Elf64_Nhdr n = { .n_namesz = 4, .n_descsz = 4, .n_type = XEN_ELFNOTE_PHYS32_ENTRY };
	uint32_t entry = 0x100010;

	memcpy(m->b + NOTE_OFF, &n, sizeof(n));
	memcpy(m->b + NOTE_OFF + 12, "Xen", 4);
	memcpy(m->b + NOTE_OFF + 16, &entry, 4);
	memset(m->b + CODE_OFF, 0x90, 0x100);
}

static int parse(struct img *m, size_t size, char *err)
{
	struct elf_image img;

	err[0] = 0;
	return elf__parse(m->b, size, &img, err, 200);
}

TEST(vmm_elf_good_image_loads)
{
	static struct img m;
	static uint8_t ram[0x102000];
	struct elf_image img;
	char err[200];

	make(&m);
	REQUIRE(elf__parse(m.b, sizeof(m.b), &img, err, sizeof(err)) == 0);
	CHECK(img.entry == 0x100010);
	CHECK(img.nr_segments == 1);
	CHECK(img.end == 0x101000);
	REQUIRE(elf__check_placement(&img, 0x100000, sizeof(ram), err, sizeof(err)) == 0);
	memset(ram, 0xaa, sizeof(ram));
	elf__load(&img, m.b, ram);
	CHECK(ram[0x100000] == 0x90 && ram[0x1000ff] == 0x90);
	CHECK(ram[0x100100] == 0 && ram[0x100fff] == 0);       /* bss zeroed */
	CHECK(ram[0x101000] == 0xaa);                          /* nothing past */
}

TEST(vmm_elf_note_with_8_byte_descriptor)
{
	static struct img m;
	struct elf_image img;
	char err[200];
	Elf64_Nhdr n = { .n_namesz = 4, .n_descsz = 8, .n_type = XEN_ELFNOTE_PHYS32_ENTRY };
	uint64_t entry = 0x100020;

	make(&m);
	memcpy(m.b + NOTE_OFF, &n, sizeof(n));
	memcpy(m.b + NOTE_OFF + 16, &entry, 8);
	m.ph[1].p_filesz = 24;
	REQUIRE(elf__parse(m.b, sizeof(m.b), &img, err, sizeof(err)) == 0);
	CHECK(img.entry == 0x100020);
}

TEST(vmm_elf_rejects_truncated)
{
	static struct img m;
	char err[200];

	make(&m);
	CHECK(parse(&m, 10, err) < 0 && strstr(err, "truncated"));
	CHECK(parse(&m, 3, err) < 0 && strstr(err, "magic"));
	CHECK(parse(&m, sizeof(Elf64_Ehdr) + 8, err) < 0 && strstr(err, "truncated"));
	CHECK(parse(&m, CODE_OFF + 0x80, err) < 0 && strstr(err, "truncated"));
}

TEST(vmm_elf_rejects_bad_header)
{
	static struct img m;
	char err[200];

	make(&m);
	m.eh->e_ident[1] = 'X';
	CHECK(parse(&m, IMG_SIZE, err) < 0 && strstr(err, "magic"));
	make(&m);
	m.eh->e_ident[EI_CLASS] = ELFCLASS32;
	CHECK(parse(&m, IMG_SIZE, err) < 0 && strstr(err, "64-bit"));
	make(&m);
	m.eh->e_machine = EM_AARCH64;
	CHECK(parse(&m, IMG_SIZE, err) < 0 && strstr(err, "x86-64"));
	make(&m);
	m.eh->e_type = ET_DYN;
	CHECK(parse(&m, IMG_SIZE, err) < 0 && strstr(err, "executable"));
	make(&m);
	m.eh->e_phnum = 0;
	CHECK(parse(&m, IMG_SIZE, err) < 0 && strstr(err, "program headers"));
}

TEST(vmm_elf_rejects_bad_segments)
{
	static struct img m;
	char err[200];

	make(&m);
	m.ph[0].p_filesz = 0x2000;                   /* > memsz */
	CHECK(parse(&m, IMG_SIZE, err) < 0 && strstr(err, "filesz"));
	make(&m);
	m.eh->e_phnum = 3;                           /* overlapping second load */
	m.ph[2] = m.ph[0];
	m.ph[2].p_paddr = 0x100800;
	CHECK(parse(&m, IMG_SIZE, err) < 0 && strstr(err, "overlap"));
	make(&m);
	m.ph[0].p_paddr = ~0ull - 0x10;              /* wraps */
	CHECK(parse(&m, IMG_SIZE, err) < 0 && strstr(err, "wraps"));
	make(&m);
	m.ph[0].p_type = PT_NULL;
	CHECK(parse(&m, IMG_SIZE, err) < 0 && strstr(err, "no loadable"));
}

TEST(vmm_elf_rejects_missing_or_bad_note)
{
	static struct img m;
	char err[200];

	make(&m);
	m.ph[1].p_type = PT_NULL;
	CHECK(parse(&m, IMG_SIZE, err) < 0 && strstr(err, "PVH"));
	make(&m);
	memcpy(m.b + NOTE_OFF + 12, "Lnx", 4);        /* other owner */
	CHECK(parse(&m, IMG_SIZE, err) < 0 && strstr(err, "PVH"));
	make(&m);
	uint32_t huge = 0x10000;                      /* namesz past the segment */
	memcpy(m.b + NOTE_OFF, &huge, 4);
	CHECK(parse(&m, IMG_SIZE, err) < 0 && strstr(err, "note"));
	make(&m);
	m.ph[1].p_offset = IMG_SIZE - 4;
	CHECK(parse(&m, IMG_SIZE, err) < 0 && strstr(err, "truncated"));
}

TEST(vmm_elf_rejects_segments_outside_ram)
{
	static struct img m;
	struct elf_image img;
	char err[200];

	make(&m);
	REQUIRE(elf__parse(m.b, IMG_SIZE, &img, err, sizeof(err)) == 0);
	CHECK(elf__check_placement(&img, 0x100000, 0x100800, err, sizeof(err)) < 0 &&
	      strstr(err, "outside guest RAM"));
	CHECK(elf__check_placement(&img, 0x200000, 0x400000, err, sizeof(err)) < 0);
	img.entry = 0x200000;
	CHECK(elf__check_placement(&img, 0x100000, 0x400000, err, sizeof(err)) < 0 &&
	      strstr(err, "entry"));
}

/* A symbol table: three sections (null, .symtab, .strtab) at 0x800, the
 * symbols at 0x900, the names at 0xa00. */
static void add_symbols(struct img *m)
{
	Elf64_Shdr *sh = (Elf64_Shdr *)(m->b + 0x800);
	Elf64_Sym *sym = (Elf64_Sym *)(m->b + 0x900);
	static const char names[] = "\0other\0mkvm_kdebug_desc\0mkvm_kdebug";

	m->eh->e_shoff = 0x800;
	m->eh->e_shentsize = sizeof(Elf64_Shdr);
	m->eh->e_shnum = 3;
	sh[1] = (Elf64_Shdr){ .sh_type = SHT_SYMTAB, .sh_offset = 0x900,
			      .sh_size = 3 * sizeof(Elf64_Sym), .sh_link = 2,
			      .sh_entsize = sizeof(Elf64_Sym) };
	sh[2] = (Elf64_Shdr){ .sh_type = SHT_STRTAB, .sh_offset = 0xa00,
			      .sh_size = sizeof(names) };
	memcpy(m->b + 0xa00, names, sizeof(names));
	sym[1] = (Elf64_Sym){ .st_name = 1, .st_value = 0x1111 };
	sym[2] = (Elf64_Sym){ .st_name = 7, .st_value = 0xffffffff80123450ull };
}

TEST(vmm_elf_finds_a_symbol)
{
	struct img m;
	uint64_t v = 0;

	make(&m);
	CHECK(elf__symbol(m.b, sizeof(m.b), "mkvm_kdebug_desc", &v) < 0);	/* stripped */
	add_symbols(&m);
	CHECK(elf__symbol(m.b, sizeof(m.b), "mkvm_kdebug_desc", &v) == 0 &&
	      v == 0xffffffff80123450ull);
	CHECK(elf__symbol(m.b, sizeof(m.b), "other", &v) == 0 && v == 0x1111);
	/* a prefix of a name, or a name that is a prefix, is not the name */
	CHECK(elf__symbol(m.b, sizeof(m.b), "mkvm_kdebug", &v) < 0);
	CHECK(elf__symbol(m.b, sizeof(m.b), "mkvm_kdebug_desc2", &v) < 0);
	/* every offset is checked against the file: truncated tables, a
	 * string table cut inside the name, section headers past the end */
	CHECK(elf__symbol(m.b, 0xa00 + 10, "mkvm_kdebug_desc", &v) < 0);
	CHECK(elf__symbol(m.b, 0x900 + 8, "other", &v) < 0);
	CHECK(elf__symbol(m.b, 0x800 + 64, "other", &v) < 0);
	((Elf64_Shdr *)(m.b + 0x800))[1].sh_link = 7;
	CHECK(elf__symbol(m.b, sizeof(m.b), "other", &v) < 0);
	((Elf64_Shdr *)(m.b + 0x800))[1].sh_link = 2;
	((Elf64_Sym *)(m.b + 0x900))[2].st_name = 0xffffffff;
	CHECK(elf__symbol(m.b, sizeof(m.b), "mkvm_kdebug_desc", &v) < 0);
	m.eh->e_shoff = ~0ull - 8;
	CHECK(elf__symbol(m.b, sizeof(m.b), "other", &v) < 0);
}
