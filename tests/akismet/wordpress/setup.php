<?php
// Activates Akismet and makes comments go straight to its verdict (no manual moderation).
require __DIR__ . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
$activated = activate_plugin( 'akismet/akismet.php' );
if ( is_wp_error( $activated ) ) {
	fwrite( STDERR, $activated->get_error_message() . "\n" );
	exit( 1 );
}
update_option( 'comment_moderation', 0 );
update_option( 'comment_previously_approved', 0 );
update_option( 'require_name_email', 1 );
// "Silently discard the worst and most pervasive spam": honour X-akismet-pro-tip: discard.
update_option( 'akismet_strictness', '1' );
echo json_encode( array(
	'akismet_active' => is_plugin_active( 'akismet/akismet.php' ),
	'verify_key'     => Akismet::verify_key( Akismet::get_api_key() ),
	'key_status'     => Akismet::check_key_status( Akismet::get_api_key() )[1],
) ), "\n";
