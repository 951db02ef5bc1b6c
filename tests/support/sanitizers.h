#pragma once
/// Whether this build runs under a sanitizer that reserves terabytes of address space (so no
/// `ulimit -v` test can run): GCC says so with __SANITIZE_*__, Clang with __has_feature.

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SERVESIM_TEST_HUGE_SHADOW 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SERVESIM_TEST_HUGE_SHADOW 1
#endif
#endif
#ifndef SERVESIM_TEST_HUGE_SHADOW
#define SERVESIM_TEST_HUGE_SHADOW 0
#endif
