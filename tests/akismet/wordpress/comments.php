<?php
// Prints every comment (spam included) with its status and Akismet's result meta, as JSON.
require __DIR__ . '/wp-load.php';
$out = array();
foreach ( array( 'all', 'spam' ) as $status ) {
	foreach ( get_comments( array( 'status' => $status, 'orderby' => 'comment_ID', 'order' => 'ASC' ) ) as $c ) {
		$out[] = array(
			'id'       => (int) $c->comment_ID,
			'author'   => $c->comment_author,
			'content'  => $c->comment_content,
			'approved' => $c->comment_approved,
			'akismet'  => get_comment_meta( $c->comment_ID, 'akismet_result', true ),
		);
	}
}
echo json_encode( $out ), "\n";
