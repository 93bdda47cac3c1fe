/* User-level system-call stubs and helpers for the mkvm kernel ABI. */
#ifndef L4_H
#define L4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mkvm/abi.h>

static inline struct l4_utcb *l4_utcb(void)
{
	struct l4_utcb *u;
	__asm__("mov %%fs:0, %0" : "=r"(u));
	return u;
}

static inline uint64_t l4_myself(void) { return l4_utcb()->tid; }

/* IPC with MR0..MR3 in registers: mr[] in, mr[] out (mr[0] is the tag);
 * the sender's thread in *sender and its space's id in *space (either may
 * be NULL). */
static inline int l4_ipc_space(uint64_t to, uint64_t from, uint64_t timeouts, uint64_t mr[4],
			       uint64_t *sender, uint64_t *space)
{
	register uint64_t r8 __asm__("r8") = mr[0];
	register uint64_t r9 __asm__("r9") = mr[1];
	register uint64_t r10 __asm__("r10") = mr[2];
	register uint64_t r12 __asm__("r12") = mr[3];
	uint64_t rax = L4_SYS_IPC, rsi = from, rdx = timeouts;
	__asm__ volatile("syscall"
			 : "+a"(rax), "+S"(rsi), "+d"(rdx), "+r"(r8), "+r"(r9), "+r"(r10), "+r"(r12)
			 : "D"(to)
			 : "rcx", "r11", "memory");
	mr[0] = r8, mr[1] = r9, mr[2] = r10, mr[3] = r12;
	if (sender)
		*sender = rsi;
	if (space)
		*space = rdx;
	return (int)rax;
}
static inline int l4_ipc_regs(uint64_t to, uint64_t from, uint64_t timeouts, uint64_t mr[4], uint64_t *sender)
{
	return l4_ipc_space(to, from, timeouts, mr, sender, NULL);
}

/* IPC with the whole message in the UTCB's mr[] (MR0..MR3 copied to and
 * from registers). */
static inline int l4_ipc(uint64_t to, uint64_t from, uint64_t timeouts, uint64_t *sender)
{
	return l4_ipc_regs(to, from, timeouts, l4_utcb()->mr, sender);
}

static inline int l4_call(uint64_t to) { return l4_ipc(to, to, L4_TIMEOUTS(L4_NEVER, L4_NEVER), NULL); }
static inline int l4_send(uint64_t to, uint32_t timeout) { return l4_ipc(to, L4_NILTHREAD, L4_TIMEOUTS(timeout, 0), NULL); }
static inline int l4_receive(uint64_t from, uint32_t timeout, uint64_t *sender)
{
	return l4_ipc(L4_NILTHREAD, from, L4_TIMEOUTS(0, timeout), sender);
}
static inline int l4_reply_wait(uint64_t to, uint64_t *sender)
{
	return l4_ipc(to, L4_ANYTHREAD, L4_TIMEOUTS(0, L4_NEVER), sender);
}

static inline uint64_t l4_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
				  uint64_t *out0, uint64_t *out1)
{
	register uint64_t r8 __asm__("r8") = a3;
	uint64_t rax = nr, rdi = a0, rsi = a1, rdx = a2;
	__asm__ volatile("syscall"
			 : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r8)
			 :
			 : "rcx", "r11", "r9", "r10", "r12", "memory");
	if (out0)
		*out0 = rdi;
	if (out1)
		*out1 = rsi;
	return rax;
}

/* exc_handler: where exceptions go (nil: the pager); flags: L4_TC_*;
 * kmem: a new space's limit of kernel pages (0: none of its own). */
static inline int l4_thread_control_kmem(uint64_t dest, uint64_t space, uint64_t pager, uint64_t utcb,
					 uint64_t exc_handler, uint64_t flags, uint64_t kmem)
{
	register uint64_t r8 __asm__("r8") = utcb;
	register uint64_t r9 __asm__("r9") = exc_handler;
	register uint64_t r10 __asm__("r10") = flags;
	register uint64_t r12 __asm__("r12") = kmem;
	uint64_t rax = L4_SYS_THREAD_CONTROL;
	__asm__ volatile("syscall"
			 : "+a"(rax), "+r"(r8), "+r"(r9), "+r"(r10), "+r"(r12)
			 : "D"(dest), "S"(space), "d"(pager)
			 : "rcx", "r11", "memory");
	return (int)rax;
}
static inline int l4_thread_control_flags(uint64_t dest, uint64_t space, uint64_t pager, uint64_t utcb,
					  uint64_t exc_handler, uint64_t flags)
{
	return l4_thread_control_kmem(dest, space, pager, utcb, exc_handler, flags, 0);
}
static inline int l4_thread_control_exc(uint64_t dest, uint64_t space, uint64_t pager, uint64_t utcb,
					uint64_t exc_handler)
{
	return l4_thread_control_flags(dest, space, pager, utcb, exc_handler, 0);
}
static inline int l4_thread_control(uint64_t dest, uint64_t space, uint64_t pager, uint64_t utcb)
{
	return l4_thread_control_exc(dest, space, pager, utcb, L4_NILTHREAD);
}
static inline int l4_unmap(uint64_t fpage, uint64_t flags)
{
	return (int)l4_syscall(L4_SYS_UNMAP, fpage, flags, 0, 0, NULL, NULL);
}
static inline int l4_exregs(uint64_t dest, uint64_t ip, uint64_t sp)
{
	return (int)l4_syscall(L4_SYS_EXREGS, dest, ip, sp, 0, NULL, NULL);
}
static inline void l4_yield(void) { l4_syscall(L4_SYS_THREAD_SWITCH, 0, 0, 0, 0, NULL, NULL); }
static inline int l4_schedule(uint64_t dest, unsigned prio, unsigned slice)
{
	return (int)l4_syscall(L4_SYS_SCHEDULE, dest, prio, slice, 0, NULL, NULL);
}
static inline int l4_irq_control(unsigned line, unsigned op)
{
	return (int)l4_syscall(L4_SYS_IRQ_CONTROL, line, op, 0, 0, NULL, NULL);
}
/* Registers zone entry n of tid's space (privileged; abi.h). */
static inline int l4_zone_control(uint64_t tid, uint64_t n, uint64_t ip, uint32_t pkru, uint64_t sp)
{
	register uint64_t r8 __asm__("r8") = pkru;
	register uint64_t r9 __asm__("r9") = sp;
	uint64_t rax = L4_SYS_ZONE_CONTROL, rdi = tid, rsi = n, rdx = ip;
	__asm__ volatile("syscall"
			 : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r8), "+r"(r9)
			 :
			 : "rcx", "r11", "r10", "r12", "memory");
	return (int)rax;
}
/* Calls zone entry e of the caller's space with three arguments: its
 * result, or MKVM_ZONE_FAULTED-like ~0 from the entry; *err the call's
 * L4_E* result. Clobbers what a function call may. */
static inline uint64_t l4_zone_call(uint64_t e, uint64_t a, uint64_t b, uint64_t c, int *err)
{
	register uint64_t r8 __asm__("r8") = c;
	uint64_t rax = L4_SYS_ZONE_CALL, rdi = e, rsi = a, rdx = b;
	__asm__ volatile("syscall"
			 : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r8)
			 :
			 : "rcx", "r9", "r10", "r11", "memory", "cc");
	*err = (int)rax;
	return rdi;
}
/* Names a thread for debuggers (up to 15 bytes). */
static inline int l4_debug_name(uint64_t tid, const char *name)
{
	uint64_t w[2] = { 0, 0 };
	for (int i = 0; i < 15 && name[i]; i++)
		((char *)w)[i] = name[i];
	return (int)l4_syscall(L4_SYS_DEBUG_NAME, tid, w[0], w[1], 0, NULL, NULL);
}

/* An MSI line for handler (nil: the caller): its line, and the data and
 * address the device must send. */
static inline int l4_irq_attach_msi(uint64_t handler, uint64_t *line, uint64_t *data, uint64_t *addr)
{
	uint64_t rax = L4_SYS_IRQ_CONTROL, rdi = 0, rsi = L4_IRQ_ATTACH_MSI, rdx = handler;
	__asm__ volatile("syscall" : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx)
			 :: "rcx", "r11", "r8", "r9", "r10", "r12", "memory");
	*line = rdi, *data = rsi, *addr = rdx;
	return (int)rax;
}
static inline uint64_t l4_kinfo(void)
{
	uint64_t flags;
	l4_syscall(L4_SYS_KINFO, 0, 0, 0, 0, &flags, NULL);
	return flags;
}

/* The kernel's clock: microseconds since boot, in timer ticks. */
static inline uint64_t l4_clock_us(void)
{
	uint64_t rax = L4_SYS_KINFO, rdi, rsi, rdx;
	__asm__ volatile("syscall" : "+a"(rax), "=D"(rdi), "=S"(rsi), "=d"(rdx) :: "rcx", "r11", "memory");
	return rdx;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* ulib.c */
void kdb_puts(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int snprintf(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
bool cmdline_has(const char *cmdline, const char *word);

#endif
