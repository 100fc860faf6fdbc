#!/usr/bin/env bash
# Builds the Debian package custodia-node (the node, the `custodia` client, the systemd unit and
# its configuration file) from the binaries of the one cargo profile the scripts use.
#
# Usage: scripts/package-deb.sh [OUTPUT_DIR]     (default: $CARGO_TARGET_DIR/debian)
# Prints the path of the .deb. Install it with `dpkg -i`, then see docs/operations.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

out_dir="${1:-$CARGO_TARGET_DIR/debian}"
bin_dir="$CARGO_TARGET_DIR/debug"
for bin in custodia-node custodia; do
	[ -x "$bin_dir/$bin" ] || die "$bin_dir/$bin is missing: build it first (scripts/test.sh or build_node in scripts/common.sh)"
done
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing (apt-get install dpkg-dev)"

version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$REPO_ROOT/Cargo.toml" | head -n1)
[ -n "$version" ] || die "no version in Cargo.toml"
commit=$(git -C "$REPO_ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
arch=$(dpkg --print-architecture)

root=$(mktemp -d)
chmod 0755 "$root"  # the package's "./": never narrower than /
trap 'rm -rf "$root"' EXIT
install -d "$root/DEBIAN" "$root/usr/bin" "$root/etc/custodia" "$root/lib/systemd/system" \
	"$root/usr/share/doc/custodia-node"
# The dev profile keeps debug information (hundreds of MB); a server needs none of it.
for bin in custodia-node custodia; do
	objcopy --strip-debug "$bin_dir/$bin" "$root/usr/bin/$bin"
	chmod 0755 "$root/usr/bin/$bin"
done
install -m 0644 "$REPO_ROOT/packaging/custodia-node.service" "$root/lib/systemd/system/"
install -m 0640 "$REPO_ROOT/packaging/custodia.conf" "$root/etc/custodia/custodia.conf"
install -m 0644 "$REPO_ROOT/README.md" "$REPO_ROOT/docs/operations.md" "$root/usr/share/doc/custodia-node/"
printf 'Custodia %s (commit %s), Apache-2.0.\n' "$version" "$commit" >"$root/usr/share/doc/custodia-node/copyright"
install -m 0644 "$REPO_ROOT/packaging/debian/conffiles" "$root/DEBIAN/conffiles"
install -m 0755 "$REPO_ROOT/packaging/debian/postinst" "$REPO_ROOT/packaging/debian/postrm" "$root/DEBIAN/"

# Depends: the shared libraries the binaries link, by the Debian packages that ship them.
libs=$(for bin in custodia-node custodia; do ldd "$root/usr/bin/$bin"; done | awk '/=> \//{print $3}' | sort -u)
depends=$(for lib in $libs; do dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib"; done |
	cut -d: -f1 | sort -u | paste -sd, | sed 's/,/, /g')
[ -n "$depends" ] || die "could not find the packages of the binaries' shared libraries"
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@DEPENDS@/$depends/" \
	"$REPO_ROOT/packaging/debian/control.in" >"$root/DEBIAN/control"
echo "Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)" >>"$root/DEBIAN/control"

mkdir -p "$out_dir"
deb="$out_dir/custodia-node_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zzstd -z3 --build "$root" "$deb" >/dev/null
say "built $deb ($(du -h "$deb" | cut -f1))"
echo "$deb"
