#include <elf.h>
#include <string.h>

#include <mkvm/pvh.h>

#include "boot/elf.h"
#include "errmsg.h"

static uint64_t align4(uint64_t v)
{
	return (v + 3) & ~3ull;
}

/* Looks for the PVH entry in the notes at [off, off+len). 1: found. */
static int find_pvh_note(const uint8_t *buf, uint64_t off, uint64_t len,
			 uint32_t *entry)
{
	uint64_t end = off + len;

	while (end - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr n;

		memcpy(&n, buf + off, sizeof(n));
		uint64_t name = off + sizeof(n);
		uint64_t desc = name + align4(n.n_namesz);
		uint64_t next = desc + align4(n.n_descsz);

		if (next > end || next < off)
			return -1;
		if (n.n_type == XEN_ELFNOTE_PHYS32_ENTRY && n.n_namesz == 4 &&
		    !memcmp(buf + name, PVH_NOTE_NAME, 4)) {
			uint64_t v = 0;

			if (n.n_descsz != 4 && n.n_descsz != 8)
				return -1;
			memcpy(&v, buf + desc, n.n_descsz);
			if (v > UINT32_MAX)
				return -1;
			*entry = (uint32_t)v;
			return 1;
		}
		off = next;
	}
	return 0;
}

static int check_header(const Elf64_Ehdr *eh, size_t size, char *err, size_t errlen)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return errmsg(err, errlen, "not an ELF file (bad magic)");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return errmsg(err, errlen, "not a 64-bit ELF file (class %u)", eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return errmsg(err, errlen, "not a little-endian ELF file");
	if (eh->e_machine != EM_X86_64)
		return errmsg(err, errlen, "ELF machine %u is not x86-64", eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return errmsg(err, errlen, "ELF type %u is not an executable", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0)
		return errmsg(err, errlen, "ELF file has no usable program headers");
	if (eh->e_phoff > size ||
	    (size - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum)
		return errmsg(err, errlen, "truncated ELF file (program headers past the end)");
	return 0;
}

static int add_segment(struct elf_image *img, const Elf64_Phdr *ph, size_t size,
		       char *err, size_t errlen)
{
	if (ph->p_filesz > ph->p_memsz)
		return errmsg(err, errlen, "segment at 0x%llx: filesz 0x%llx > memsz 0x%llx",
			    (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_filesz,
			    (unsigned long long)ph->p_memsz);
	if (ph->p_offset > size || size - ph->p_offset < ph->p_filesz)
		return errmsg(err, errlen, "truncated ELF file (segment at 0x%llx past the end)",
			    (unsigned long long)ph->p_paddr);
	if (ph->p_paddr + ph->p_memsz < ph->p_paddr)
		return errmsg(err, errlen, "segment at 0x%llx wraps around",
			    (unsigned long long)ph->p_paddr);
	if (ph->p_memsz == 0)
		return 0;
	for (int i = 0; i < img->nr_segments; i++) {
		const struct elf_segment *s = &img->seg[i];

		if (ph->p_paddr < s->paddr + s->memsz && s->paddr < ph->p_paddr + ph->p_memsz)
			return errmsg(err, errlen, "segments at 0x%llx and 0x%llx overlap",
				    (unsigned long long)s->paddr, (unsigned long long)ph->p_paddr);
	}
	if (img->nr_segments == ELF_MAX_SEGMENTS)
		return errmsg(err, errlen, "more than %d loadable segments", ELF_MAX_SEGMENTS);
	img->seg[img->nr_segments++] = (struct elf_segment){
		ph->p_paddr, ph->p_offset, ph->p_filesz, ph->p_memsz };
	if (ph->p_paddr + ph->p_memsz > img->end)
		img->end = ph->p_paddr + ph->p_memsz;
	return 0;
}

int elf__parse(const uint8_t *buf, size_t size, struct elf_image *img,
	       char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	int found = 0;

	memset(img, 0, sizeof(*img));
	if (size < SELFMAG || memcmp(buf, ELFMAG, SELFMAG))
		return errmsg(err, errlen, "not an ELF file (bad magic)");
	if (size < sizeof(eh))
		return errmsg(err, errlen, "truncated ELF file (%zu bytes)", size);
	memcpy(&eh, buf, sizeof(eh));
	if (check_header(&eh, size, err, errlen))
		return -1;

	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, buf + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD && add_segment(img, &ph, size, err, errlen))
			return -1;
		if (ph.p_type == PT_NOTE && !found) {
			if (ph.p_offset > size || size - ph.p_offset < ph.p_filesz)
				return errmsg(err, errlen, "truncated ELF file (notes past the end)");
			found = find_pvh_note(buf, ph.p_offset, ph.p_filesz, &img->entry);
			if (found < 0)
				return errmsg(err, errlen, "malformed ELF note segment");
		}
	}
	if (img->nr_segments == 0)
		return errmsg(err, errlen, "ELF file has no loadable segments");
	if (!found)
		return errmsg(err, errlen, "no PVH entry note (Xen ELF note %d) in the kernel",
			    XEN_ELFNOTE_PHYS32_ENTRY);
	return 0;
}

int elf__check_placement(const struct elf_image *img, uint64_t ram_start,
			 uint64_t ram_end, char *err, size_t errlen)
{
	int entry_ok = 0;

	for (int i = 0; i < img->nr_segments; i++) {
		const struct elf_segment *s = &img->seg[i];

		if (s->paddr < ram_start || s->paddr + s->memsz > ram_end)
			return errmsg(err, errlen,
				    "segment 0x%llx-0x%llx is outside guest RAM 0x%llx-0x%llx",
				    (unsigned long long)s->paddr,
				    (unsigned long long)(s->paddr + s->memsz),
				    (unsigned long long)ram_start, (unsigned long long)ram_end);
		if (img->entry >= s->paddr && img->entry < s->paddr + s->memsz)
			entry_ok = 1;
	}
	if (!entry_ok)
		return errmsg(err, errlen, "PVH entry 0x%x is outside every loadable segment",
			    img->entry);
	return 0;
}

/* Is [off, off + len) inside a file of size bytes? */
static int in_file(uint64_t off, uint64_t len, size_t size)
{
	return off <= size && len <= size - off;
}

int elf__symbol(const uint8_t *buf, size_t size, const char *name, uint64_t *value)
{
	size_t name_len = strlen(name);
	Elf64_Ehdr eh;

	if (size < sizeof(eh))
		return -1;
	memcpy(&eh, buf, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_file(eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr), size))
		return -1;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh, str;

		memcpy(&sh, buf + eh.e_shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
		if (sh.sh_type != SHT_SYMTAB || sh.sh_link >= eh.e_shnum ||
		    sh.sh_entsize != sizeof(Elf64_Sym) || !in_file(sh.sh_offset, sh.sh_size, size))
			continue;
		memcpy(&str, buf + eh.e_shoff + (uint64_t)sh.sh_link * sizeof(str), sizeof(str));
		if (str.sh_type != SHT_STRTAB || !in_file(str.sh_offset, str.sh_size, size))
			continue;
		for (uint64_t k = 0; k < sh.sh_size / sizeof(Elf64_Sym); k++) {
			Elf64_Sym sym;

			memcpy(&sym, buf + sh.sh_offset + k * sizeof(sym), sizeof(sym));
			if (sym.st_name >= str.sh_size || str.sh_size - sym.st_name <= name_len ||
			    memcmp(buf + str.sh_offset + sym.st_name, name, name_len + 1))
				continue;
			*value = sym.st_value;
			return 0;
		}
	}
	return -1;
}

void elf__load(const struct elf_image *img, const uint8_t *buf, uint8_t *ram)
{
	for (int i = 0; i < img->nr_segments; i++) {
		const struct elf_segment *s = &img->seg[i];

		memcpy(ram + s->paddr, buf + s->offset, s->filesz);
		memset(ram + s->paddr + s->filesz, 0, s->memsz - s->filesz);
	}
}
