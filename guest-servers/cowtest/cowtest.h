/* The protocol of the copy-on-write test program (cowtest.c) with the
 * test suite (testsuite/t_cow.c). Calls with MR0's label below; the reply
 * carries MR1..MR3.
 *   COWTEST_LAYOUT  reply MR1 = the address of its data pages, MR2 = how
 *                   many (COWTEST_PAGES), MR3 = the end of its bss.
 *   COWTEST_READ    MR1 = an address of its space: reply MR1 = the word there.
 *   COWTEST_WRITE   MR1 = an address, MR2 = a word to write there.
 *   COWTEST_COPY    copies its space (MKVM_ROOT_COPY); the copy's first
 *                   thread serves these requests too. Reply MR1 = that
 *                   thread, 0 if the root task refused.
 *   COWTEST_EXIT    replies, then ends the program (or the copy). */
#ifndef COWTEST_H
#define COWTEST_H

#define COWTEST_LAYOUT 1
#define COWTEST_READ   2
#define COWTEST_WRITE  3
#define COWTEST_COPY   4
#define COWTEST_EXIT   5

#define COWTEST_PAGES  8
#define COWTEST_MAGIC  0xc0de0000c0de0000ull    /* the first word of every data page */

#endif
