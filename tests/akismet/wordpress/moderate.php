<?php
// A moderator clicks "Spam" (argv[1] = spam) or "Not spam" (unspam) under comment argv[2],
// as wp-admin's AJAX call does: the same POST flag the Akismet plugin looks for.
require __DIR__ . '/wp-load.php';
$admin = get_user_by( 'login', 'admin' );
wp_set_current_user( $admin->ID );
$id = (int) $argv[2];
if ( 'spam' === $argv[1] ) {
	$_POST['spam'] = 1;
	$done = wp_spam_comment( $id );
} else {
	$_POST['unspam'] = 1;
	$done = wp_unspam_comment( $id );
}
echo $done ? "ok\n" : "failed\n";
