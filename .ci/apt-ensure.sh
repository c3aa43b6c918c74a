# Sourced by the .ci/install-*.sh scripts: apt_ensure NAME PACKAGE... installs the Debian
# packages that are missing (as root, non-interactive) and does nothing when all are there;
# without root it says what to install and fails. NAME prefixes its messages.
apt_ensure() {
    local name=$1
    shift
    local missing=() package
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$package")
        fi
    done
    ((${#missing[@]})) || return 0
    if [[ $(id -u) -ne 0 ]]; then
        echo "$name: missing ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
        return 1
    fi
    echo "$name: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
