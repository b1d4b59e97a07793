/* Which build this binary is, for the provenance of every run (the runs
 * table records it; results/README.md). Generated at build time by
 * common/build_info.py: a new commit or a changed build option shows in the
 * next binary. */
#ifndef BD_BUILD_INFO_H
#define BD_BUILD_INFO_H

typedef struct BdBuildInfo {
    const char *version;    /* the meson project version, "0.1.0" */
    const char *git_commit; /* `git describe --always --dirty` of the source checkout; "" outside one (a tarball) */
    /* The options that decide what the engine computes, "key=value ..." in a
     * fixed order: every option of meson_options.txt, the build type and
     * optimisation, assertions, compiler flags, the compiler and the BLAS. */
    const char *options;
} BdBuildInfo;

const BdBuildInfo *bd_build_info(void);

#endif
