/* The gdb thread: listens on the --gdb socket, serves one connection at a
 * time through the stub, and turns KVM_EXIT_DEBUG on vCPU threads into
 * stop replies.
 *
 * Stopping protocol: a vCPU thread in debug_hook records the stop (the first
 * one wins until the next resume), sets vm->pause_req so it parks when the
 * hook returns, and wakes the gdb thread through a pipe; the gdb thread
 * then vm__pause()s the rest and reports the stop. Only the gdb thread
 * resumes the VM. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <mkvm/testexit.h>
#include "gdb/gdb.h"
#include "gdb/kvm.h"
#include "seccomp.h"
#include "vcpu.h"
#include "vm.h"

struct gdb_server {
	struct vm *vm;
	int listen_fd, conn_fd;
	int wake[2];		/* pipe: debug_hook -> gdb thread */
	bool paused;		/* gdb thread holds the VM paused */
	bool interrupt_req;	/* Ctrl-C seen while running */
	pthread_mutex_t lock;	/* protects pending, stop and done */
	pthread_cond_t done_cond;
	bool pending;
	struct gdb_stop stop;
	bool done;		/* the run is over and gdb was told */
	uint64_t kdesc;		/* the kernel's description, or 0 */
	uint64_t named;		/* its mkvm_kdebug_named, or 0 */
	bool step_blocks_irqs;	/* gdb_kvm__step_blocks_irqs */
	char bootcfg[16384];	/* PROGRAMS/boot.cfg, for programs' elf= */
	size_t bootcfg_len;
	char files[8192];	/* the names of PROGRAMS' files, one a line */
	size_t files_len;
	char programs[GDB_PROGRAMS_MAX];	/* where gdb finds the programs */
	struct gdb_stub stub;
};

/* ---- struct gdb_target over the VM ---- */

static bool srv__get_regs(void *ctx, unsigned cpu, struct gdb_regs *r)
{
	return gdb_kvm__get_regs(((struct gdb_server *)ctx)->vm, cpu, r);
}

static bool srv__set_regs(void *ctx, unsigned cpu, const struct gdb_regs *r)
{
	return gdb_kvm__set_regs(((struct gdb_server *)ctx)->vm, cpu, r);
}

static bool srv__read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	return gdb_kvm__read(((struct gdb_server *)ctx)->vm, gpa, buf, len);
}

static bool srv__write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
	return gdb_kvm__write(((struct gdb_server *)ctx)->vm, gpa, buf, len);
}

static void srv__resume(void *ctx, const struct gdb_debug_cfg *cfg)
{
	struct gdb_server *srv = ctx;

	gdb_kvm__set_debug(srv->vm, cfg, srv->step_blocks_irqs);
	pthread_mutex_lock(&srv->lock);
	srv->pending = false;
	pthread_mutex_unlock(&srv->lock);
	srv->paused = false;
	vm__resume(srv->vm);
}

static void srv__interrupt(void *ctx)
{
	((struct gdb_server *)ctx)->interrupt_req = true;
}

static void srv__kill(void *ctx)
{
	vm__stop(((struct gdb_server *)ctx)->vm, MKVM_EXIT_SHUTDOWN);
}

static bool srv__send(void *ctx, const char *buf, size_t len)
{
	struct gdb_server *srv = ctx;

	while (len) {
		ssize_t n = send(srv->conn_fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* ---- vCPU side ---- */

static void srv__debug_hook(struct vm *vm, struct vcpu *vcpu)
{
	struct gdb_server *srv = vm->debug_ctx;
	char c = 0;

	pthread_mutex_lock(&srv->lock);
	if (!srv->pending) {
		srv->pending = true;
		srv->stop = (struct gdb_stop){
			.kind = GDB_STOP_DEBUG, .cpu = (unsigned)vcpu->id,
			.exception = vcpu->run->debug.arch.exception,
			.dr6 = vcpu->run->debug.arch.dr6,
		};
	}
	pthread_mutex_unlock(&srv->lock);
	pthread_mutex_lock(&vm->lock);
	vm->pause_req = true;	/* this vCPU parks as soon as we return */
	pthread_mutex_unlock(&vm->lock);
	if (write(srv->wake[1], &c, 1) < 0 && errno != EAGAIN)
		perror("mkvm: gdb: wake");
}

/* ---- the gdb thread ---- */

static void srv__pause(struct gdb_server *srv)
{
	if (!srv->paused)
		vm__pause(srv->vm, NULL);
	srv->paused = true;
}

/* Reports a recorded debug stop, or else an interrupt if one was asked.
 * A Ctrl-C that coincides with a debug stop stays pending for the next
 * resume: gdb may take that stop as internal (stepping over a breakpoint)
 * and resume at once, and must still get its SIGINT stop. */
static void srv__check_stop(struct gdb_server *srv)
{
	struct gdb_stop st = { .kind = GDB_STOP_INTERRUPT, .cpu = 0 };
	bool have;

	pthread_mutex_lock(&srv->lock);
	have = srv->pending;
	if (have)
		st = srv->stop;
	pthread_mutex_unlock(&srv->lock);
	if (!have && !srv->interrupt_req)
		return;
	if (!have)
		srv->interrupt_req = false;
	srv__pause(srv);
	gdb_stub__stopped(&srv->stub, &st);
}

static void srv__serve(struct gdb_server *srv)
{
	static const struct gdb_target ops = {
		.get_regs = srv__get_regs, .set_regs = srv__set_regs,
		.read_phys = srv__read, .write_phys = srv__write,
		.resume = srv__resume, .interrupt = srv__interrupt,
		.kill = srv__kill, .send = srv__send,
	};
	struct gdb_target t = ops;
	uint8_t buf[4096];

	t.ctx = srv;
	t.ncpus = (unsigned)srv->vm->nr_cpus;
	srv->interrupt_req = false;
	srv__pause(srv);
	gdb_stub__init(&srv->stub, &t);
	if (srv->kdesc && srv->programs[0]) {
		gdb_stub__set_os(&srv->stub, srv->kdesc, srv->programs,
				 srv->named);
		gdb_stub__set_aliases(&srv->stub, srv->bootcfg, srv->bootcfg_len);
		gdb_stub__set_files(&srv->stub, srv->files, srv->files_len);
	}
	while (srv->stub.state != GDB_DETACHED) {
		struct pollfd p[2] = {
			{ .fd = srv->conn_fd, .events = POLLIN },
			{ .fd = srv->wake[0], .events = POLLIN },
		};
		int code = atomic_load(&srv->vm->stop_code);

		if (code >= 0) {
			gdb_stub__exited(&srv->stub, code);
			return;
		}
		if (poll(p, 2, 100) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN) {
			while (read(srv->wake[0], buf, sizeof(buf)) > 0)
				;
			if (srv->stub.state == GDB_RUNNING)
				srv__check_stop(srv);
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(srv->conn_fd, buf, sizeof(buf));

			if (n <= 0 && !(n < 0 && errno == EINTR))
				break;		/* gdb went away */
			if (n > 0)
				gdb_stub__input(&srv->stub, buf, (size_t)n);
			if (srv->stub.state == GDB_RUNNING)
				srv__check_stop(srv);
		}
	}
	if (srv->stub.state == GDB_RUNNING)
		srv__pause(srv);
	/* Connection lost without 'D': let the guest run on undebugged. */
	gdb_stub__detach(&srv->stub);
}

static void *srv__thread(void *arg)
{
	struct gdb_server *srv = arg;

	seccomp__install(SECCOMP_GDB, "gdb");
	while (atomic_load(&srv->vm->stop_code) < 0) {
		struct pollfd p = { .fd = srv->listen_fd, .events = POLLIN };

		if (poll(&p, 1, 200) <= 0)
			continue;
		srv->conn_fd = accept(srv->listen_fd, NULL, NULL);
		if (srv->conn_fd < 0)
			continue;
		srv__serve(srv);
		close(srv->conn_fd);
		srv->conn_fd = -1;
	}
	pthread_mutex_lock(&srv->lock);
	srv->done = true;
	pthread_cond_broadcast(&srv->done_cond);
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

static struct gdb_server server;

/* At process exit (the run is over): give the gdb thread a moment to tell
 * gdb how the guest ended ("W"), instead of just dropping the connection. */
static void srv__at_exit(void)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 1;
	pthread_mutex_lock(&server.lock);
	while (!server.done &&
	       pthread_cond_timedwait(&server.done_cond, &server.lock, &until) == 0)
		;
	pthread_mutex_unlock(&server.lock);
}

/* ---- setup ---- */

static int listen__unix(const struct gdb_addr *a)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	strcpy(sun.sun_path, a->path);
	/* A socket left by an earlier run is replaced; anything else is not. */
	if (lstat(a->path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(a->path);
	/* bind() creates the file with the umask's mode: 0600 from the start,
	 * with no window in which another user could connect. */
	mode_t old = umask(0177);
	int err = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (err || listen(fd, 1)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int listen__tcp(const struct gdb_addr *a)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *res, *ai;
	int fd = -1, one = 1, err;

	err = getaddrinfo(a->host, a->port, &hints, &res);
	if (err) {
		fprintf(stderr, "mkvm: --gdb: %s: %s\n", a->host,
			gai_strerror(err));
		errno = 0;
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 1))
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int gdb__listen(const struct gdb_addr *a)
{
	return a->is_unix ? listen__unix(a) : listen__tcp(a);
}

/* The names of the files in dir, read now: the gdb thread runs confined. */
static void srv__list_files(struct gdb_server *srv, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.' || srv->files_len + n + 1 > sizeof(srv->files))
			continue;
		memcpy(srv->files + srv->files_len, e->d_name, n);
		srv->files_len += n;
		srv->files[srv->files_len++] = '\n';
	}
	closedir(d);
}

int gdb__start(struct vm *vm, const char *spec, bool wait, uint64_t kdesc,
	       uint64_t named, const char *programs)
{
	struct gdb_server *srv = &server;
	struct gdb_addr a;
	pthread_t thread;
	char err[512];

	if (gdb__parse_addr(spec, &a, err, sizeof(err))) {
		fprintf(stderr, "mkvm: %s\n", err);
		return -1;
	}
	srv->vm = vm;
	srv->kdesc = kdesc;
	srv->named = named;
	srv->step_blocks_irqs = gdb_kvm__step_blocks_irqs(vm);
	if (programs) {
		char path[GDB_PROGRAMS_MAX + 16];
		FILE *f;

		snprintf(srv->programs, sizeof(srv->programs), "%s", programs);
		/* which programs run another's ELF (the guest's boot.cfg
		 * beside the ELFs; without it every program is its own) */
		snprintf(path, sizeof(path), "%s/boot.cfg", programs);
		f = fopen(path, "r");
		if (f) {
			srv->bootcfg_len = fread(srv->bootcfg, 1, sizeof(srv->bootcfg), f);
			fclose(f);
		}
		srv__list_files(srv, programs);
	}
	srv->conn_fd = -1;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->done_cond, NULL);
	if (pipe2(srv->wake, O_CLOEXEC | O_NONBLOCK)) {
		perror("mkvm: gdb");
		return -1;
	}
	srv->listen_fd = gdb__listen(&a);
	if (srv->listen_fd < 0) {
		fprintf(stderr, "mkvm: --gdb %s: cannot listen%s%s\n", spec,
			errno ? ": " : "", errno ? strerror(errno) : "");
		return -1;
	}
	vm->debug_ctx = srv;
	vm->debug_hook = srv__debug_hook;
	if (wait) {
		/* vCPUs park before their first KVM_RUN (see vcpu.c). */
		pthread_mutex_lock(&vm->lock);
		vm->pause_req = true;
		pthread_mutex_unlock(&vm->lock);
		fprintf(stderr, "mkvm: waiting for gdb on %s\n", spec);
	}
	if (pthread_create(&thread, NULL, srv__thread, srv)) {
		fprintf(stderr, "mkvm: cannot start the gdb thread\n");
		return -1;
	}
	pthread_detach(thread);
	atexit(srv__at_exit);
	return 0;
}
