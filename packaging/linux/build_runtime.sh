#!/usr/bin/env bash
# Build Hearth's AppImage type 2 runtime (appimage_runtime.c, beside this script):
#
#     bash packaging/linux/build_runtime.sh OUT_PATH
#
# Debian 12 packages this needs (build machine only):
#     gcc libc6-dev binutils libsquashfuse-dev libfuse3-dev
#     zlib1g-dev liblzma-dev libzstd-dev liblz4-dev liblzo2-dev
# and to make and check AppImages: squashfs-tools (make_appimage.py, unsquashfs), fuse3 (fusermount3, to run
# them as a non-root user).
#
# squashfuse, libfuse3 and the compression libraries are linked statically and glibc dynamically, so the
# runtime needs only glibc (and fusermount3 for non-root FUSE mounts, like every AppImage). The AppImage
# magic 'A','I',0x02 goes at file offset 8, inside the ELF identification padding.
set -euo pipefail

out=${1:?usage: bash packaging/linux/build_runtime.sh OUT_PATH}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v gcc >/dev/null || { echo "build_runtime.sh: gcc is missing (apt-get install gcc libc6-dev)" >&2; exit 1; }
libdir=/usr/lib/$(gcc -print-multiarch)

# The static libraries, in link order, and the Debian package of each.
declare -A package=(
    [libsquashfuse_ll.a]=libsquashfuse-dev [libfuse3.a]=libfuse3-dev [libzstd.a]=libzstd-dev
    [liblz4.a]=liblz4-dev [liblzo2.a]=liblzo2-dev [liblzma.a]=liblzma-dev [libz.a]=zlib1g-dev
)
archives=()
for lib in libsquashfuse_ll.a libfuse3.a libzstd.a liblz4.a liblzo2.a liblzma.a libz.a; do
    if [[ ! -f $libdir/$lib ]]; then
        echo "build_runtime.sh: $libdir/$lib is missing (apt-get install ${package[$lib]})" >&2
        exit 1
    fi
    archives+=("$libdir/$lib")
done
[[ -f /usr/include/squashfuse/ll.h ]] || { echo "build_runtime.sh: squashfuse headers missing (apt-get install libsquashfuse-dev)" >&2; exit 1; }

tmp=$(mktemp "${out}.XXXXXX")
trap 'rm -f "$tmp"' EXIT
# libsquashfuse_ll.a already holds all of libsquashfuse.a (the squashfs reader) besides the FUSE glue.
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -D_FILE_OFFSET_BITS=64 -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
    -o "$tmp" "$here/appimage_runtime.c" "${archives[@]}" -lpthread -ldl -Wl,-z,relro,-z,now -s

# Only glibc may remain dynamic. (ldd before the magic is written: ld.so then reads byte 8, EI_ABIVERSION,
# as 'A' and ldd calls the file "not a dynamic executable"; the kernel and ld.so still run it.)
echo "ldd $out:"
ldd "$tmp" | sed 's/^[[:space:]]*/    /'
needed=$(readelf -d "$tmp" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
for lib in $needed; do
    case $lib in
        libc.so.*|ld-linux*.so.*|libpthread.so.*|libdl.so.*|libm.so.*) ;;
        *) echo "build_runtime.sh: the runtime links $lib dynamically; only glibc may remain" >&2; exit 1 ;;
    esac
done

# The AppImage type 2 magic: bytes 8..10 of the file.
printf 'AI\002' | dd of="$tmp" bs=1 seek=8 count=3 conv=notrunc status=none
chmod 755 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "built $out ($(stat -c %s "$out") bytes; needs: ${needed//$'\n'/ })"
