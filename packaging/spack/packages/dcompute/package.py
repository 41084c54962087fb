# Spack package for libdcompute. Use it from a checkout:
#   spack repo add <checkout>/packaging/spack
#   spack install dcompute ^openmpi          (or ^mpich; +hdf5 for checkpoints)
# The installed names carry the MPI (libdcompute-openmpi, dcompute-openmpi.pc, CMake component
# openmpi): builds for two MPIs may share one view.

from spack.package import *


class Dcompute(AutotoolsPackage):
    """libdcompute: make an MPI cluster compute as one unit (partitioning, placement,
    reproducible reductions, distributed GEMM, structured grids and Krylov solvers,
    checkpoint/restart)."""

    homepage = "https://example.org/libdcompute"
    git = "https://example.org/libdcompute.git"

    maintainers("libdcompute")
    license("BSD-3-Clause")

    version("main", branch="main")

    variant("hdf5", default=True, description="Checkpoints (dc_ckpt.h) in parallel HDF5")
    variant("scalapack", default=False,
            description="Side-by-side pdgemm_ tests and benchmark against ScaLAPACK")
    variant("isal", default=False, description="ISA-L's CRC-32 for the checkpoints")
    variant("debug", default=False, description="Argument-consistency checks on by default")

    depends_on("c", type="build")
    depends_on("cxx", type="build")
    depends_on("autoconf", type="build")
    depends_on("automake", type="build")
    depends_on("libtool", type="build")
    depends_on("pkgconfig", type="build")

    depends_on("mpi")
    depends_on("hwloc@2:")
    depends_on("blas")
    depends_on("hdf5+mpi", when="+hdf5")
    depends_on("zlib-api", when="+hdf5")
    depends_on("isa-l", when="+isal")
    depends_on("scalapack", when="+scalapack")
    depends_on("cunit", type="test")

    def autoreconf(self, spec, prefix):
        Executable("./autogen.sh")()

    def setup_build_environment(self, env):
        env.set("CC", self.spec["mpi"].mpicc)
        env.set("CXX", self.spec["mpi"].mpicxx)

    def configure_args(self):
        spec = self.spec
        args = ["--with-mpi=" + spec["mpi"].prefix,
                "--with-blas=" + spec["blas"].libs.ld_flags]
        args.append("--with-hdf5=" + (spec["hdf5"].prefix if "+hdf5" in spec else "no"))
        args.append("--with-isal=" + ("yes" if "+isal" in spec else "no"))
        if "+scalapack" in spec:
            args.append("--with-scalapack=" + spec["scalapack"].libs.ld_flags)
        else:
            args.append("--with-scalapack=no")
        args.append("--without-petsc")
        if "+debug" in spec:
            args.append("--enable-debug")
        return args

    @property
    def libs(self):
        # libdcompute-<mpi>: openmpi, mpich, or mpi for another MPI (configure.ac)
        mpi = self.spec["mpi"].name
        name = mpi if mpi in ("openmpi", "mpich") else "mpi"
        return find_libraries("libdcompute-" + name, root=self.prefix, recursive=True)
