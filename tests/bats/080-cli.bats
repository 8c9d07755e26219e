#!/usr/bin/env bats
# The command line itself: help, unknown flags and commands, argument counts, exit codes.

load helpers

@test "cli: no command prints help and exits 125" {
    run den_raw
    assert_failure 125
    assert_output --partial "missing command"
}

@test "cli: --help for den and for a command" {
    run den_raw --help
    assert_success
    assert_output --partial "Available Commands:"
    assert_output --partial "pull"
    run den_raw pull --help
    assert_success
    assert_output --partial "Usage:"
    assert_output --partial "den pull [options] IMAGE [IMAGE...]"
    assert_output --partial "--tls-verify"
    run den_raw image ls --help
    assert_success
    assert_output --partial "den images"
}

@test "cli: unknown flag, unknown command, wrong argument count" {
    run_den images --bogus
    assert_failure 125
    assert_output --partial "unknown flag: --bogus"
    run_den nosuchcommand
    assert_failure 125
    assert_output --partial "unrecognized command"
    run_den pull
    assert_failure 125
    assert_output --partial '"den pull" requires at least 1 argument'
    run_den image exists a b
    assert_failure 125
    run_den images --format
    assert_failure 125
    assert_output --partial "flag needs an argument"
}

@test "cli: boolean flags take =true/=false; a bad value is an error" {
    run_den images --quiet=false --noheading=true
    assert_success
    run_den images --quiet=maybe
    assert_failure 125
    assert_output --partial 'invalid argument "maybe"'
}

@test "cli: global options after the command, and a bad log level" {
    run den_raw images --root "$BATS_TEST_TMPDIR/r2" --runroot "$BATS_TEST_TMPDIR/run2" -q
    assert_success
    run_den --log-level nonsense images
    assert_failure 125
    assert_output --partial 'invalid log level "nonsense"'
}

@test "cli: bash completion is generated from the command table" {
    run den_raw completion bash
    assert_success
    assert_output --partial "complete -o default -F _den den"
    assert_output --partial "--tls-verify"
    run bash -c "source <($DEN completion bash); COMP_WORDS=(den pu); COMP_CWORD=1; _den; echo \${COMPREPLY[*]}"
    assert_output "pull push"
    run bash -c "source <($DEN completion bash); COMP_WORDS=(den pull --tls); COMP_CWORD=2; _den; echo \${COMPREPLY[*]}"
    assert_output "--tls-verify"
}
