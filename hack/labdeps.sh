#!/usr/bin/env bash
# Installs the Debian packages the lab (e2e/lab) runs: FRR and BIRD as the
# routers, and the tools tests and people use inside the namespaces (and
# promtool, which checks the alert rules). Only
# missing packages are installed, with their system services kept from
# starting on the host: the lab runs its own daemons inside network
# namespaces. Prints nothing when everything is present. Needs root (or sudo).
set -euo pipefail

# tool (a command, or an absolute path) and the package that provides it
deps=(
	vtysh frr
	/usr/lib/frr/zebra frr
	/usr/lib/frr/bgpd frr
	bird bird2
	birdc bird2
	arping arping
	nft nftables
	iptables iptables
	conntrack conntrack
	ndisc6 ndisc6
	socat socat
	tcpdump tcpdump
	ip iproute2
	ping iputils-ping
	promtool prometheus
)

missing=()
for ((i = 0; i < ${#deps[@]}; i += 2)); do
	tool=${deps[i]} pkg=${deps[i + 1]}
	if [[ $tool == /* ]]; then
		[ -x "$tool" ] && continue
	else
		PATH=$PATH:/usr/sbin:/sbin command -v "$tool" >/dev/null 2>&1 && continue
	fi
	[[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "labdeps: need root to install: ${missing[*]}" >&2; exit 1; }
	sudo=(sudo)
fi

# invoke-rc.d asks policy-rc.d whether it may start a service; 101 means
# "no". An existing policy is the machine's and is left as it is.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	trap '"${sudo[@]}" rm -f "$policy"' EXIT
	printf '#!/bin/sh\n# temporary, from ironlb hack/labdeps.sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
	"${sudo[@]}" chmod 755 "$policy"
fi

echo "labdeps: installing ${missing[*]}" >&2
install() {
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends "${missing[@]}" "$@"
}
# A fresh machine may have no package lists yet; fetch them only then.
if ! install >/dev/null 2>&1; then
	"${sudo[@]}" apt-get update -q >&2
	install >&2
fi
