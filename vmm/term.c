#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <mkvm/testexit.h>

#include "term.h"
#include "vm.h"

static struct termios saved;
static volatile sig_atomic_t raw_active;

int term__escape(struct term_escape *t, uint8_t c, uint8_t out[1])
{
	if (!t->pending) {
		if (c == TERM_ESCAPE) {
			t->pending = true;
			return 0;
		}
		out[0] = c;
		return 1;
	}
	t->pending = false;
	if (c == 'x' || c == 'X')
		return -1;
	out[0] = c;                      /* includes Ctrl-A Ctrl-A */
	return 1;
}

void term__restore(void)
{
	if (raw_active) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
		raw_active = 0;
	}
}

static void term__signal(int sig)
{
	term__restore();                 /* tcsetattr is async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig);
}

void term__init(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS };
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved))
		return;
	raw = saved;
	raw.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	raw.c_cflag = (raw.c_cflag & ~(tcflag_t)(CSIZE | PARENB)) | CS8;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;             /* output processing (OPOST) stays on */
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw))
		return;
	raw_active = 1;
	atexit(term__restore);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], term__signal);
}

void term__set_backend(struct vm *vm, const struct term_backend *b, void *dev)
{
	vm->console = b;
	vm->console_dev = dev;
}

static size_t input_room(const struct vm *vm)
{
	return vm->console ? vm->console->rx_room(vm->console_dev) : 0;
}

/* Reads what the UART has room for; returns false at end of input. */
static bool term__read_stdin(struct vm *vm, struct term_escape *esc)
{
	uint8_t in[64], out[64];
	size_t room = input_room(vm), n_out = 0;
	ssize_t n;

	if (room > sizeof(in))
		room = sizeof(in);
	n = read(STDIN_FILENO, in, room);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	for (ssize_t i = 0; i < n; i++) {
		int r = term__escape(esc, in[i], &out[n_out]);

		if (r < 0) {
			vm__stop(vm, MKVM_EXIT_SHUTDOWN);
			return false;
		}
		n_out += (size_t)r;
	}
	vm->console->receive(vm->console_dev, out, n_out);
	return true;
}

int term__run(struct vm *vm)
{
	struct term_escape esc = { false };
	bool stdin_open = true;

	while (atomic_load(&vm->stop_code) < 0) {
		/* When the console is full, wait for the guest to drain it. */
		bool want_stdin = stdin_open && input_room(vm) > 0;
		struct pollfd fds[2] = {
			{ .fd = vm->stop_pipe[0], .events = POLLIN },
			{ .fd = want_stdin ? STDIN_FILENO : -1, .events = POLLIN },
		};

		if (poll(fds, 2, want_stdin || !stdin_open ? -1 : 10) < 0 && errno != EINTR)
			break;
		if (fds[1].revents & POLLNVAL)
			stdin_open = false;
		else if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
			stdin_open = term__read_stdin(vm, &esc);
	}
	term__restore();
	return vm__wait(vm);
}
