#!/usr/bin/env bats
# den completion zsh|fish: the generated scripts loaded into real shells, completing what a
# user would type. (bash's is checked in 080-cli.bats.)

load helpers

setup() {
    # the scripts run `den` (the word typed) to list containers and images
    mkdir -p "$BATS_TEST_TMPDIR/bin" "$BATS_TEST_TMPDIR/home"
    ln -s "$DEN" "$BATS_TEST_TMPDIR/bin/den"
    export PATH="$BATS_TEST_TMPDIR/bin:$PATH" HOME="$BATS_TEST_TMPDIR/home"
    export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share"
    STORE="--root $BATS_TEST_TMPDIR/root --runroot $BATS_TEST_TMPDIR/run"
}

# A container named $1 in the test's store.
make_container() {
    seed_store
    run_den create --name "$1" "$DEN_TEST_REGISTRY/test/busybox:latest" true
    assert_success
}

# zsh_complete LINE: the words zsh's completion system offers after LINE and a TAB, one a
# line. An interactive zsh on a pseudo-terminal (zpty) loads _den from $fpath through
# compinit, as an installed completion is loaded; compadd is wrapped to print what would be
# offered instead of offering it.
zsh_complete() {
    local d=$BATS_TEST_TMPDIR/zsh
    if [ ! -e "$d/setup.zsh" ]; then
        mkdir -p "$d/functions"
        "$DEN" completion zsh -f "$d/functions/_den" || return 1
        cat >"$d/setup.zsh" <<'EOF'
PS1='' PROMPT='' RPROMPT=''
fpath=("$ZSH_CAPTURE_DIR/functions" $fpath)
autoload -U compinit && compinit -u -d "$ZSH_CAPTURE_DIR/zcompdump"
compadd() {
        # the completion system's own bookkeeping calls (-O, -A, -D) pass through
        if (( ${argv[(I)-[OAD]]} )); then
                builtin compadd "$@"
                return
        fi
        local -a hits
        builtin compadd -A hits "$@"
        (( $#hits )) && print -rl -- CAND:${^hits}
        return 1
}
capture-complete() {
        zle complete-word
        print -r -- '<<END>>'
}
zle -N capture-complete
bindkey '^I' capture-complete
print -r -- '<<READY>>'
EOF
        cat >"$d/capture.zsh" <<'EOF'
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "source ${(q)ZSH_CAPTURE_DIR}/setup.zsh"
zpty -r z out '*<<READY>>*' || exit 2
zpty -w -n z "$1"$'\t'
zpty -r z out '*<<END>>*' || exit 2
zpty -d z
local -a lines
lines=(${(M)${(f)out//$'\r'/}:#*CAND:*})
print -rl -- ${lines##*CAND:}
EOF
    fi
    ZSH_CAPTURE_DIR=$d timeout 60 zsh -f "$d/capture.zsh" "$1"
}

# fish_complete LINE: fish's candidates for LINE, "word<TAB>description" a line.
fish_complete() {
    local f=$BATS_TEST_TMPDIR/den.fish
    [ -e "$f" ] || "$DEN" completion fish "${FISH_GEN_ARGS[@]}" >"$f" || return 1
    timeout 60 fish --no-config -c "source $f; complete --do-complete '$1'"
}

@test "completion: zsh completes commands, group commands and options" {
    need zsh
    run zsh_complete "den ru"
    assert_success
    assert_output "run"
    run zsh_complete "den run --ne"
    assert_success
    assert_line "--network"
    assert_line "--net"
    refute_line "--name"
    run zsh_complete "den image l"
    assert_success
    assert_line "ls"
    assert_line "load"
    refute_line "logs"
    run zsh_complete "den container rm --f"
    assert_success
    assert_output "--force"
}

@test "completion: zsh offers the store's containers and images" {
    need zsh
    make_container zshbox
    run zsh_complete "den $STORE rm "
    assert_success
    assert_output "zshbox"
    run zsh_complete "den $STORE container rm zsh"
    assert_success
    assert_output "zshbox"
    # IDs are offered once two hex digits are typed, as podman does
    run_den ps -aq
    local id=$output
    run zsh_complete "den $STORE rm ${id:0:2}"
    assert_success
    assert_output "$id"
    run zsh_complete "den $STORE rmi "
    assert_success
    assert_output "$DEN_TEST_REGISTRY/test/busybox:latest"
    # an empty store offers nothing
    run zsh_complete "den --root $BATS_TEST_TMPDIR/r2 --runroot $BATS_TEST_TMPDIR/run2 rm "
    assert_success
    assert_output ""
}

@test "completion: zsh completes files for an option's value and the container's command" {
    need zsh
    touch "$BATS_TEST_TMPDIR/authfile.json"
    run zsh_complete "den pull --authfile $BATS_TEST_TMPDIR/authf"
    assert_success
    # zsh offers the file's name; the directory typed stays as the prefix
    assert_output "authfile.json"
    run zsh_complete "den run busybox --ne"
    assert_success
    refute_output --partial "--network"
}

@test "completion: fish completes commands, group commands and options with descriptions" {
    need fish
    run fish_complete "den ru"
    assert_success
    assert_output "run	Run a command in a new container"
    run fish_complete "den run --ne"
    assert_success
    assert_line --partial "--network	"
    run fish_complete "den image "
    assert_success
    assert_line --regexp "^ls	"
    assert_line --regexp "^prune	"
    refute_line --regexp "^run	"
    run fish_complete "den container rm --f"
    assert_success
    assert_output --regexp "^--force	"
}

@test "completion: fish offers the store's containers and images" {
    need fish
    make_container fishbox
    run fish_complete "den $STORE rm "
    assert_success
    assert_output "fishbox	Container"
    # one letter, even a hex digit, offers names only
    run fish_complete "den $STORE container stop f"
    assert_success
    assert_output "fishbox	Container"
    run_den ps -aq
    local id=$output
    run fish_complete "den $STORE container stop ${id:0:2}"
    assert_success
    assert_output "$id	Container"
    run fish_complete "den $STORE run "
    assert_success
    assert_output "$DEN_TEST_REGISTRY/test/busybox:latest	Image"
    # after the image come the container's own arguments, not den's options
    run fish_complete "den $STORE run busybox --ro"
    assert_success
    refute_output --partial "--root"
}

@test "completion: fish --no-desc leaves the descriptions out" {
    need fish
    FISH_GEN_ARGS=(--no-desc)
    run fish_complete "den ru"
    assert_success
    assert_output "run"
}

@test "completion: -f writes the script to a file; an unknown shell is refused" {
    run_den completion zsh -f "$BATS_TEST_TMPDIR/_den"
    assert_success
    assert_output ""
    run_den completion zsh
    assert_success
    [ "$output" = "$(cat "$BATS_TEST_TMPDIR/_den")" ]
    assert_line --index 0 "#compdef den"
    run_den completion tcsh
    assert_failure 125
    assert_output 'Error: invalid argument "tcsh" for "den completion"'
    run_den completion -f "$BATS_TEST_TMPDIR/no/such/dir/x" fish
    assert_failure 125
    assert_output --partial "No such file or directory"
}

@test "completion: bash skips the values of den's own options" {
    local words
    for words in "den --root /x pull --tls" "den --root = /x pull --tls" \
        "den --log-level debug --runroot /y pull --tls"; do
        run bash -c "source <($DEN completion bash); COMP_WORDS=($words); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); _den; echo \${COMPREPLY[*]}"
        assert_success
        assert_output "--tls-verify"
    done
    run bash -c "source <($DEN completion bash); COMP_WORDS=(den --storage-driver vfs image l); COMP_CWORD=4; _den; echo \${COMPREPLY[*]}"
    assert_output "ls list load"
}
