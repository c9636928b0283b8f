<?php
// Which URLs the must-use plugin takes over, and that it leaves every other request alone.
require __DIR__ . '/wp-load.php';
echo json_encode( array(
	'rest'      => afterword_is_akismet_url( 'https://rest.akismet.com/1.1/comment-check' ),
	'key_host'  => afterword_is_akismet_url( 'http://abcdefghijkm.rest.akismet.com/1.1/verify-key' ),
	'lookalike' => afterword_is_akismet_url( 'https://rest.akismet.com.evil.example/1.1/verify-key' ),
	'suffix'    => afterword_is_akismet_url( 'https://evilrest.akismet.com/1.1/verify-key' ),
	'other'     => afterword_akismet_pre_http_request( false, array(), 'https://wordpress.org/' ),
) ), "\n";
