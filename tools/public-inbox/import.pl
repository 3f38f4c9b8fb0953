#!/usr/bin/perl -w
# Bulk delivery into a public-inbox v2 inbox for tests and benchmarks: reads an mboxrd on stdin
# and adds each message with PublicInbox::V2Writable, the writer public-inbox-mda itself uses
# (one process and one commit per message instead of one mda process per message).
# Usage: PI_CONFIG=… perl import.pl INBOX_NAME < messages.mboxrd
use strict;
use PublicInbox::Config;
use PublicInbox::V2Writable;
use PublicInbox::MboxReader;
my $name = shift or die "usage: import.pl INBOX_NAME < mboxrd\n";
my $cfg = PublicInbox::Config->new;
my $ibx = $cfg->lookup_name($name) or die "no inbox $name in $cfg->{-f}\n";
my $im = PublicInbox::V2Writable->new($ibx);
$im->{parallel} = 0;
my $n = 0;
PublicInbox::MboxReader->mboxrd(\*STDIN, sub {
	my ($eml) = @_;
	$n++ if $im->add($eml);
});
$im->done;
print "$n\n";
