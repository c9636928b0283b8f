<?php
// Installs WordPress into the folder this script was copied to (argv: home URL, admin email).
define( 'WP_INSTALLING', true );
require __DIR__ . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$result = wp_install( 'Afterword test blog', 'admin', $argv[2], true, '', 'admin-password-' . wp_generate_password( 12, false ) );
if ( is_wp_error( $result ) ) {
	fwrite( STDERR, $result->get_error_message() . "\n" );
	exit( 1 );
}
echo "installed\n";
