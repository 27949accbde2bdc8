#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian 12 package that building and testing rkt needs, and creates the
# "rkt" group that owns the store (SPEC.md §6.1). Run as root on a fresh machine.
# With --bench, also the peers bench/ compares against (crun, runc, systemd-nspawn).
set -euo pipefail

packages=(
        # build
        meson ninja-build pkg-config gcc libc6-dev git clang-format
        # libraries
        libarchive-dev libjansson-dev libssl-dev libsqlite3-dev libcurl4-openssl-dev
        libmicrohttpd-dev libseccomp-dev
        # OpenPGP signatures and keys (librnp, opened with dlopen when needed)
        librnp-dev
        # the API service: gRPC core (opened by the service alone), protobuf-c and its compiler
        libgrpc-dev libprotobuf-c-dev protobuf-c-compiler
        # pod networking: the CNI plugins (/usr/lib/cni), iptables, ip (tests)
        containernetworking-plugins iptables iproute2
        # rootless pods: newuidmap and newgidmap map a user's /etc/subuid and /etc/subgid ranges
        uidmap
        # Docker tests: a real registry on loopback, a client to push to it, openssl for a test CA
        docker-registry skopeo openssl
        # tests: runner, static payload for test images, compressors for test archives
        python3 python3-pytest busybox-static gzip bzip2 xz-utils zstd tar util-linux
        # signing tests: keys and signatures made with GnuPG and with rnp, a client for the
        # bench's HTTPS floor
        gnupg rnp curl
        # API service tests: a real gRPC client with stubs generated from src/api/api.proto,
        # and systemd-socket-activate for socket activation
        python3-grpcio python3-grpc-tools python3-protobuf systemd
        # `rkt completion bash` is tested with Debian's bash completion framework
        bash-completion
        # sanitizer runtimes for the ASan+UBSan build
        libasan8 libubsan1
        # scripts/fuzz.sh: clang and libFuzzer (libclang-rt-14-dev, only recommended by clang)
        clang libclang-rt-14-dev
        # the appc ACE validator, built by the tests (tests/functional/aceimages.py) from the
        # Go sources of appc's spec and the libraries they import
        golang-go golang-github-appc-spec-dev golang-github-spf13-pflag-dev golang-go4-dev
        golang-golang-x-net-dev golang-gopkg-inf.v0-dev golang-github-coreos-go-semver-dev
        golang-github-gogo-protobuf-dev
)
if [ "${1:-}" = --bench ]; then
        packages+=(crun runc systemd-container hyperfine)
fi

if [ "$(id -u)" -ne 0 ]; then
        echo "setup-debian.sh: must run as root" >&2
        exit 1
fi

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
                missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                "${missing[@]}" >/dev/null
fi

getent group rkt >/dev/null || groupadd --system rkt
