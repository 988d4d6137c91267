#!/usr/bin/perl
# Rewrites every `kernel<<<grid, block[, shmem[, stream]]>>>(args)` launch of
# the .cu files named on the command line into
# `CT_LAUNCH(kernel, grid, block, shmem, stream, args)` (src/cuda/launch.h),
# in place. A kernel name with a comma (template arguments) is parenthesised.
# Run after merging branches that add `<<<` launches:
#   perl src/cuda/emu/convert_launches.pl src/cuda/*.cu
use strict;
use warnings;

# text up to the parenthesis that closes at depth 0 (strings and chars skipped)
sub balanced {
    my ($s, $pos) = @_;    # $pos just after an opening '('
    my $depth = 1;
    my $i = $pos;
    while ($i < length $s) {
        my $c = substr($s, $i, 1);
        if ($c eq '"' || $c eq "'") {
            my $q = $c;
            $i++;
            while ($i < length $s && substr($s, $i, 1) ne $q) { $i++ if substr($s, $i, 1) eq '\\'; $i++; }
        } elsif ($c eq '(') { $depth++; }
        elsif ($c eq ')') { return $i if --$depth == 0; }
        $i++;
    }
    return -1;
}

# top-level comma split
sub split_args {
    my ($s) = @_;
    my @out;
    my ($depth, $cur) = (0, '');
    for my $c (split //, $s) {
        if ($c eq '(' || $c eq '[' || $c eq '{') { $depth++; }
        elsif ($c eq ')' || $c eq ']' || $c eq '}') { $depth--; }
        if ($c eq ',' && $depth == 0) { push @out, $cur; $cur = ''; next; }
        $cur .= $c;
    }
    push @out, $cur;
    s/^\s+|\s+$//g for @out;
    return @out;
}

my $total = 0;
for my $file (@ARGV) {
    open my $fh, '<', $file or die "$file: $!";
    local $/;
    my $s = <$fh>;
    close $fh;
    my $n = 0;
    while ($s =~ /([A-Za-z_][\w:]*\s*(?:<(?:[^<>]|<[^<>]*>)*>)?)\s*<<<(.*?)>>>\s*\(/s) {
        my ($kname, $cfg) = ($1, $2);
        my $start = $-[0];
        my $open = $+[0];
        my $close = balanced($s, $open);
        die "$file: unbalanced launch of $kname\n" if $close < 0;
        my $args = substr($s, $open, $close - $open);
        my @c = split_args($cfg);
        die "$file: launch of $kname has " . scalar(@c) . " config arguments\n" if @c < 2 || @c > 4;
        push @c, '0' while @c < 3;
        push @c, '0' if @c < 4;
        $kname =~ s/\s+$//;
        $kname = "($kname)" if $kname =~ /,/;
        my $rep = "CT_LAUNCH($kname, " . join(', ', @c) . ($args !~ /\S/ ? '' : $args =~ /^[ \t]*\n/ ? ",$args" : ", $args") . ')';
        substr($s, $start, $close + 1 - $start) = $rep;
        $n++;
    }
    if ($n) {
        # the macro's header, after the last #include of the file
        if ($s !~ m{#include "cuda/launch.h"}) {
            my @lines = split /\n/, $s, -1;
            my $last = -1;
            for my $i (0 .. $#lines) { $last = $i if $lines[$i] =~ /^#include\s/; }
            splice @lines, $last + 1, 0, '#include "cuda/launch.h"' if $last >= 0;
            $s = join "\n", @lines;
        }
        open my $out, '>', $file or die "$file: $!";
        print $out $s;
        close $out;
        print "$file: $n launches\n";
    }
    $total += $n;
}
print "$total launches converted\n";
