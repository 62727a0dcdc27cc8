// @ts-check

/**
 * What the watcher has already told an entity's owner: one row per (entity, event kind, resource, state). The
 * primary key makes the insert the claim: of two backend instances seeing the same event, only the one whose insert
 * succeeds sends the notification.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('notified_events', table => {
    table.comment(
      'Events the watcher notified (or recorded silently), once each',
    );
    table.string('event_key', 1024).primary().notNullable();
    table.string('entity_ref', 255).notNullable().index();
    table.string('kind', 64).notNullable();
    table.boolean('sent').notNullable().defaultTo(true);
    table.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
  });
  // Entities the watcher has looked at once: their history before that is recorded without notifying.
  await knex.schema.createTable('watched_entities', table => {
    table.string('entity_ref', 255).primary().notNullable();
    table.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('watched_entities');
  await knex.schema.dropTable('notified_events');
};
