/* A zone program whose code writes PKRU (t_zone.c): the root task must
 * refuse to map its pages executable. With "plain" it calls a page that
 * holds WRPKRU; with "straddle" one whose last two bytes begin a WRPKRU
 * that the next page ends (neither page alone would show it whole). */
#include "../lib/prog.h"

void zonebad_straddle(void);
void zonebad_plain(void);
__asm__(".section .text.zonebad, \"ax\"\n"
	".balign 4096\n"
	".skip 4094, 0x90\n"
	"zonebad_straddle:\n"
	".byte 0x0f, 0x01\n"              /* the page ends here */
	".byte 0xef\n"                    /* wrpkru */
	"ret\n"
	".balign 4096\n"
	".skip 64, 0x90\n"
	"zonebad_plain:\n"
	"wrpkru\n"
	"ret\n"
	".balign 4096\n"
	".globl zonebad_straddle, zonebad_plain\n"
	".previous\n");

int main(void)
{
	printf("zonebad: calling %s at %lx\n", prog_info->args,
	       (uint64_t)(!strcmp(prog_info->args, "plain") ? zonebad_plain : zonebad_straddle));
	if (!strcmp(prog_info->args, "plain"))
		zonebad_plain();
	else
		zonebad_straddle();
	printf("zonebad: the code ran\n");
	return 1;
}
