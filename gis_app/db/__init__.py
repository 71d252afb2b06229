"""Database: ORM models, migrations, provisioning, engine and queries."""
