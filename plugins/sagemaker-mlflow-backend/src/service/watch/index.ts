export { startNotifications } from './startNotifications';
