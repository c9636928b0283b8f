<?php
/**
 * Plugin Name: Afterword for Akismet
 * Description: Sends the Akismet plugin's API calls to your Afterword server instead of rest.akismet.com. Install as a must-use plugin (wp-content/mu-plugins/). Configure with define( 'AFTERWORD_AKISMET_URL', 'https://afterword.example.org' ); in wp-config.php.
 * Version: 1.0.0
 * License: AGPL-3.0-or-later
 *
 * Why a must-use plugin: the Akismet plugin has no setting for its API host, but every
 * call it makes (and every call other plugins make through Akismet::http_post: Contact
 * Form 7, Jetpack forms) goes through WordPress's HTTP API, which asks the
 * pre_http_request filter first. Answering there changes nothing else: the Akismet plugin,
 * its settings page, its comment history and its "Spam" / "Not spam" buttons work as before.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The Afterword base URL: the AFTERWORD_AKISMET_URL constant, else the
 * afterword_akismet_url option. Empty: leave Akismet's calls alone.
 */
function afterword_akismet_base_url() {
	$url = defined( 'AFTERWORD_AKISMET_URL' ) ? AFTERWORD_AKISMET_URL : get_option( 'afterword_akismet_url', '' );
	return untrailingslashit( trim( (string) $url ) );
}

/**
 * Whether a URL is meant for Akismet: rest.akismet.com, KEY.rest.akismet.com, and the
 * plugin's plain-HTTP fallback to the same names.
 */
function afterword_is_akismet_url( $url ) {
	$host = strtolower( (string) wp_parse_url( $url, PHP_URL_HOST ) );
	return 'rest.akismet.com' === $host || '.rest.akismet.com' === substr( $host, -17 );
}

/**
 * pre_http_request: answer requests for Akismet by making the same request to Afterword.
 *
 * Returns the Afterword response (or its WP_Error, so the Akismet plugin holds the comment
 * and retries, as it does when Akismet is unreachable); false for every other request.
 */
function afterword_akismet_pre_http_request( $preempt, $args, $url ) {
	if ( false !== $preempt || ! afterword_is_akismet_url( $url ) ) {
		return $preempt;
	}
	$base = afterword_akismet_base_url();
	if ( '' === $base ) {
		return $preempt;
	}
	$parts  = wp_parse_url( $url );
	$target = $base . ( isset( $parts['path'] ) ? $parts['path'] : '/' );
	if ( isset( $parts['query'] ) ) {
		$target .= '?' . $parts['query'];
	}
	// The Akismet plugin sets Host: rest.akismet.com itself; Afterword's own host must go out.
	if ( isset( $args['headers'] ) && is_array( $args['headers'] ) ) {
		foreach ( array_keys( $args['headers'] ) as $name ) {
			if ( 'host' === strtolower( $name ) ) {
				unset( $args['headers'][ $name ] );
			}
		}
	}
	/**
	 * Filters the request arguments sent to Afterword (e.g. to add a client certificate).
	 */
	$args = apply_filters( 'afterword_akismet_request_args', $args, $target );
	return wp_remote_request( $target, $args );
}
add_filter( 'pre_http_request', 'afterword_akismet_pre_http_request', 10, 3 );
