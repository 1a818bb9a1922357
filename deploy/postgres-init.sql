-- One database per service (docker-compose mounts this into the PostgreSQL image's init folder).
CREATE DATABASE registry;
CREATE DATABASE rating;
CREATE DATABASE lending;
CREATE DATABASE merchant;
CREATE DATABASE stats;
